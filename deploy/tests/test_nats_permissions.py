"""The committed NATS permissions (deploy/nats/accounts.conf) against a real nats-server.

Each test makes the calls a user must not make and expects the server to refuse them, and the
calls it needs and expects them to work: a config that allows everything passes the second
half and fails the first, one that allows nothing the reverse.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from typing import Any

import nats
import nats.errors
import pytest
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.js.api import ConsumerConfig, StreamConfig

from finance.definition import definition as finance_definition
from ishc_contracts import EventRegistry, subjects
from ishc_runtime.infra.nats import assert_sync_always
from ishc_runtime.projections import ProjectionRunner
from ishc_runtime.relay import Relay, RelayConfig, StreamSpec, check_stream, declare_stream
from ishc_runtime.testing.waiting import wait_until

pytestmark = pytest.mark.integration

REFUSED_WITHIN = 1.0  # a refused request is dropped by the server: it can only time out


class Connection:
    """A connection as one user, remembering the permission errors the server sent it."""

    def __init__(self, client: Client, errors: list[str]) -> None:
        self.nc = client
        self.errors = errors

    def refused(self, what: str, subject: str) -> Callable[[], bool]:
        wanted = f'permissions violation for {what} to "{subject}"'.lower()
        return lambda: any(wanted in error.lower() for error in self.errors)


@pytest.fixture
async def connect(secured_nats: Any) -> AsyncIterator[Callable[[str], Any]]:
    opened: list[Client] = []

    async def open_as(user: str, *, own_inbox: bool = True) -> Connection:
        """As `user`, with its own inbox prefix as the services connect (unless told not to)."""
        errors: list[str] = []

        async def on_error(error: Exception) -> None:
            errors.append(str(error))

        client = await nats.connect(
            secured_nats.url_for(user),
            name=f"test-{user}",
            error_cb=on_error,
            connect_timeout=5,
            inbox_prefix=f"_INBOX_{user}" if own_inbox else "_INBOX",
        )
        opened.append(client)
        return Connection(client, errors)

    try:
        yield open_as
    finally:
        for client in opened:
            with contextlib.suppress(Exception):
                await client.close()


def relay_for(nc: Client, service: str, *, declare: bool = True) -> Relay:
    """A relay whose `ensure_stream` declares the stream (as in development) or, with
    `declare=False`, only checks it (as in production). It needs no database for that."""
    config = RelayConfig(
        service=service, replicas=1, publish_timeout=REFUSED_WITHIN, declare_stream=declare
    )
    return Relay(None, nc, config)  # type: ignore[arg-type]


async def declared(ops: Connection, *services: str) -> None:
    """The operator's step (ishc declare-streams): the ops user declares the streams."""
    for service in services:
        await declare_stream(ops.nc.jetstream(), StreamSpec(service))


async def refused(
    connection: Connection, subject: str, call: Callable[[], Any], what: str = "publish"
) -> None:
    """`call` gets no answer, and the server says why: a permissions violation on `subject`."""
    with pytest.raises(TimeoutError):
        await call()
    await wait_until(
        connection.refused(what, subject),
        timeout=5,
        message=f"no permissions violation for {subject}: {connection.errors}",
    )


async def membership_answers(membership: Connection, gateway: Connection) -> Any:
    """Membership serves its commands; the gateway's request gets its answer. Returns the
    responder callback (to try it under another user)."""

    async def answer(msg: Msg) -> None:
        await msg.respond(b'{"ok": true}')

    await membership.nc.subscribe(subjects.all_commands("membership"), "membership", cb=answer)
    await membership.nc.flush()
    replies: list[Msg] = []

    async def answered() -> bool:
        # The subscription's interest can reach the gateway's connection a moment after the
        # flush (seen once in a full run): until then the server says "no responders".
        with contextlib.suppress(nats.errors.NoRespondersError):
            replies.append(
                await gateway.nc.request(
                    subjects.command_subject("membership", "AdmitMember"), b"{}", timeout=5
                )
            )
        return bool(replies)

    await wait_until(answered, timeout=10, interval=0.1, message="membership never answered")
    assert replies[0].data == b'{"ok": true}'
    return answer


async def test_the_server_fsyncs_every_write_and_refuses_anonymous_clients(
    secured_nats: Any,
) -> None:
    assert_sync_always(secured_nats.monitor_url)
    with pytest.raises((nats.errors.Error, OSError)):
        await nats.connect(
            secured_nats.url, allow_reconnect=False, max_reconnect_attempts=0, connect_timeout=2
        )


async def test_a_service_publishes_its_own_events_and_no_one_elses(connect: Any) -> None:
    watcher = await connect("ops")
    seen: list[str] = []

    async def on_event(msg: Msg) -> None:
        seen.append(msg.subject)

    await watcher.nc.subscribe("ishc.>", cb=on_event)
    await watcher.nc.flush()

    finance = await connect("finance")
    forged = subjects.event_subject("membership", "member", "MemberLeft")
    own = subjects.event_subject("finance", "loan", "LoanDisbursed")
    await finance.nc.publish(forged, b"{}")
    await finance.nc.publish(own, b"{}")  # after the forged one, on the same connection
    await finance.nc.flush()

    await wait_until(lambda: own in seen, timeout=5, message="finance's own event never arrived")
    assert forged not in seen
    await wait_until(finance.refused("publish", forged), timeout=5, message=str(finance.errors))
    assert not finance.refused("publish", own)()


async def test_only_ops_declares_streams_and_a_service_checks_its_own(connect: Any) -> None:
    finance = await connect("finance")
    # A service may not create a stream, its own included: that is the operator's step.
    await refused(
        finance, "$JS.API.STREAM.CREATE.FINANCE", relay_for(finance.nc, "finance").ensure_stream
    )
    ops = await connect("ops")
    await declared(ops, "finance")
    await relay_for(finance.nc, "finance", declare=False).ensure_stream()  # checks: as declared
    info = await finance.nc.jetstream().stream_info("FINANCE")
    assert info.config.subjects == subjects.stream_subjects("finance")

    # Another service's stream: finance may look at it (it reads MEMBERSHIP), never shape it.
    await refused(
        finance,
        "$JS.API.STREAM.CREATE.MEMBERSHIP",
        relay_for(finance.nc, "membership").ensure_stream,
    )
    await declared(ops, "membership")
    js = finance.nc.jetstream(timeout=REFUSED_WITHIN)
    await refused(
        finance,
        "$JS.API.STREAM.UPDATE.MEMBERSHIP",
        lambda: js.update_stream(StreamSpec("membership").config()),
    )
    # Deleting or purging streams is the topology user's job, even for its own.
    await refused(finance, "$JS.API.STREAM.DELETE.FINANCE", lambda: js.delete_stream("FINANCE"))
    await refused(finance, "$JS.API.STREAM.PURGE.FINANCE", lambda: js.purge_stream("FINANCE"))


async def test_a_service_rewrites_its_own_stream_and_is_refused(connect: Any) -> None:
    """The attack of issue #18: `care` updated CARE to also capture the commands, queries and
    the gateway's replies, read membership's commands and broke request/reply."""
    ops, care, membership, gateway = [
        await connect(user) for user in ("ops", "care", "membership", "gateway")
    ]
    await declared(ops, "care", "membership")
    spec = StreamSpec("care")
    capture = [*subjects.stream_subjects("care"), "ishc.cmd.>", "ishc.qry.>", "_INBOX_gateway.>"]
    rewritten = StreamConfig.from_response({**spec.config().as_dict(), "subjects": capture})
    js = care.nc.jetstream(timeout=REFUSED_WITHIN)
    await refused(care, "$JS.API.STREAM.UPDATE.CARE", lambda: js.update_stream(rewritten))
    # Nor under a name of its own choosing.
    other = StreamConfig.from_response({**rewritten.as_dict(), "name": "CARE2"})
    await refused(care, "$JS.API.STREAM.CREATE.CARE2", lambda: js.add_stream(other))

    info = await ops.nc.jetstream().stream_info("CARE")
    assert info.config.subjects == subjects.stream_subjects("care")
    await check_stream(ops.nc.jetstream(), spec)

    # Request/reply is intact: the gateway's request gets membership's answer, not a PubAck.
    await membership_answers(membership, gateway)


async def test_a_service_consumes_only_streams_it_reads_and_filters_within_them(
    connect: Any,
) -> None:
    ops, finance = await connect("ops"), await connect("finance")
    await declared(ops, "membership", "care")
    js = finance.nc.jetstream(timeout=REFUSED_WITHIN)
    # CARE is not a stream finance reads: no consumer of any name there.
    await refused(
        finance,
        "$JS.API.CONSUMER.DURABLE.CREATE.CARE.finance_members__care",
        lambda: js.add_consumer(
            "CARE",
            ConsumerConfig(durable_name="finance_members__care", filter_subject="ishc.care.>"),
        ),
    )
    # On a stream it reads, through its own durable, a filter reaches nothing beyond the
    # stream's own events: the stream (declared by ops) stores nothing else, whatever the
    # filter asks for. Here a command goes by, and the consumer has nothing to deliver.
    membership, gateway = await connect("membership"), await connect("gateway")
    await membership.nc.jetstream().publish(
        subjects.event_subject("membership", "member", "MemberJoined"), b"{}"
    )
    await gateway.nc.publish(subjects.command_subject("membership", "AdmitMember"), b"{}")
    await gateway.nc.flush()
    own = finance.nc.jetstream(timeout=5)
    durable = "finance_members__membership"
    await own.add_consumer(
        "MEMBERSHIP", ConsumerConfig(durable_name=durable, filter_subject="ishc.cmd.>")
    )
    assert (await own.consumer_info("MEMBERSHIP", durable)).num_pending == 0
    assert (await own.stream_info("MEMBERSHIP")).state.messages == 1
    assert not [e for e in finance.errors if "membership" in e.lower()]  # all allowed


async def test_the_gateway_sends_commands_and_services_answer_only_their_own(
    connect: Any,
) -> None:
    membership = await connect("membership")
    finance = await connect("finance")
    gateway = await connect("gateway")
    answer = await membership_answers(membership, gateway)

    # Finance cannot listen in on (or answer) membership's commands or queries.
    for subject in (subjects.all_commands("membership"), subjects.all_queries("membership")):
        await finance.nc.subscribe(subject, "membership", cb=answer)
        await finance.nc.flush()
        await wait_until(finance.refused("subscription", subject), timeout=5)
    with pytest.raises((nats.errors.NoRespondersError, TimeoutError)):
        await gateway.nc.request(
            subjects.query_subject("membership", "GetMember"), b"{}", timeout=REFUSED_WITHIN
        )
    # Nor can a service send commands to another: that is the gateway's door.
    with pytest.raises(TimeoutError):
        await finance.nc.request(
            subjects.command_subject("membership", "AdmitMember"), b"{}", timeout=REFUSED_WITHIN
        )
    # The gateway reads events for live updates but cannot forge one.
    forged = subjects.event_subject("membership", "member", "MemberLeft")
    await gateway.nc.publish(forged, b"{}")
    await gateway.nc.flush()
    await wait_until(gateway.refused("publish", forged), timeout=5)


async def test_a_service_consumes_through_its_own_durables_only(
    connect: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    membership = await connect("membership")
    await declared(await connect("ops"), "membership")
    await membership.nc.jetstream().publish(
        subjects.event_subject("membership", "member", "MemberJoined"), b"{}"
    )

    # finance_members reads MEMBERSHIP: the runner's real subscribe (delete + create the
    # durable), a fetch and an ack, as the finance user.
    finance = await connect("finance")
    projection = next(p for p in finance_definition().projections if p.name == "finance_members")
    runner = ProjectionRunner(None, finance.nc, projection, EventRegistry())  # type: ignore[arg-type]

    async def no_checkpoint(source: str) -> int:
        return 0

    monkeypatch.setattr(runner, "checkpoint", no_checkpoint)
    subscription = await runner.subscribe("membership")
    fetched = await subscription.fetch(1, timeout=5)
    await fetched[0].ack_sync()
    assert finance.errors == []

    # Membership's own durable on the same stream is out of reach.
    js = finance.nc.jetstream(timeout=REFUSED_WITHIN)
    theirs = "membership_roster__membership"
    await refused(
        finance,
        f"$JS.API.CONSUMER.DURABLE.CREATE.MEMBERSHIP.{theirs}",
        lambda: js.add_consumer(
            "MEMBERSHIP",
            ConsumerConfig(durable_name=theirs, filter_subject=subjects.all_events("membership")),
        ),
    )
    await refused(
        finance,
        f"$JS.API.CONSUMER.DELETE.MEMBERSHIP.{runner.durable('membership')}x",
        lambda: js.delete_consumer("MEMBERSHIP", runner.durable("membership") + "x"),
    )


async def test_reporting_reads_but_never_writes(connect: Any) -> None:
    reporting = await connect("reporting")
    for service in subjects.SERVICES:
        forged = subjects.event_subject(service, "any", "Anything")
        await reporting.nc.publish(forged, b"{}")
        await reporting.nc.flush()
        await wait_until(reporting.refused("publish", forged), timeout=5)
    await refused(
        reporting,
        "$JS.API.STREAM.CREATE.FINANCE",
        lambda: asyncio.wait_for(relay_for(reporting.nc, "finance").ensure_stream(), 5),
    )


async def test_each_user_reads_replies_on_its_own_inboxes_only(connect: Any) -> None:
    membership = await connect("membership")

    async def answer(msg: Msg) -> None:
        await msg.respond(b'{"ok": true}')

    await membership.nc.subscribe(subjects.all_queries("membership"), "membership", cb=answer)
    await membership.nc.flush()
    gateway = await connect("gateway")
    reply = await gateway.nc.request(
        subjects.query_subject("membership", "ClubRoster"), b"{}", timeout=5
    )
    assert reply.data == b'{"ok": true}'
    assert reply.subject.startswith("_INBOX_gateway.")

    # No one else may listen on the gateway's replies, nor on the shared or another's prefix.
    finance = await connect("finance")
    for subject in ("_INBOX_gateway.>", "_INBOX.>", "_INBOX_membership.>", ">"):
        await finance.nc.subscribe(subject)
        await finance.nc.flush()
        await wait_until(finance.refused("subscription", subject), timeout=5)
    # Its own inboxes work: a JetStream API request is answered.
    await declared(await connect("ops"), "finance")
    await relay_for(finance.nc, "finance", declare=False).ensure_stream()
    assert not [e for e in finance.errors if "_inbox_finance" in e.lower()]

    # A client that ignores its prefix gets no reply at all: its reply subscription is refused.
    stray = await connect("finance", own_inbox=False)
    with pytest.raises(TimeoutError):
        await stray.nc.jetstream(timeout=REFUSED_WITHIN).stream_info("FINANCE")

    def inbox_refused() -> bool:
        wanted = 'permissions violation for subscription to "_inbox.'
        return any(wanted in error.lower() for error in stray.errors)

    await wait_until(inbox_refused, timeout=5, message=str(stray.errors))
