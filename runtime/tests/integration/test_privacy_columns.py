"""Personal data in read-model columns: the event's ciphertext kept (`keep`, and `protect` of
the event's own value), revealed by queries, erased with the key, never in clear; and the
keys handed to other services under grants, recorded for the access report."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Any

import asyncpg
import pytest
from nats.aio.client import Client

from ishc_contracts import ERASED_TEXT, SYSTEM_ACTOR, EventEnvelope, EventMetadata, new_id
from ishc_contracts.catalogue import REGISTRY
from ishc_contracts.membership.events import MemberJoined
from ishc_contracts.privacy import keys_subject
from ishc_runtime.privacy import (
    COLUMN_PREFIX,
    EVENT_COLUMN_PREFIX,
    KeyRef,
    LocalMasterKeys,
    Privacy,
    SubjectKeys,
    TransportKey,
    keep,
    keep_text,
    new_key,
    protect,
    reveal,
    sealing_with,
)
from ishc_runtime.privacy.grants import answer_grant
from ishc_runtime.projections import Projection, ProjectionRunner, Write
from ishc_runtime.relay import Relay, RelayConfig
from ishc_runtime.store.eventstore import EventStore, StreamWrite
from ishc_runtime.testing.background import running
from ishc_runtime.testing.waiting import wait_until

pytestmark = pytest.mark.integration

NAME = "Canary Trần Văn Bình"
PHONE = "0912 555 222"
JOINED = "membership.MemberJoined"


@pytest.fixture
def master() -> LocalMasterKeys:
    key_id = f"k-{new_id()}"
    return LocalMasterKeys(key_id, {key_id: new_key()})


def privacy_for(pool: asyncpg.Pool, master: LocalMasterKeys) -> Privacy:
    return Privacy("membership", SubjectKeys(pool, master), REGISTRY)


async def sealed_envelope(pool: asyncpg.Pool, owner: Privacy) -> tuple[MemberJoined, EventEnvelope]:
    """A member joined through the owner's store, as a projection receives it: sealed."""
    event = MemberJoined(
        member_id=new_id(),
        club_id=new_id(),
        person_id=new_id(),
        full_name=NAME,
        sex="female",
        birth_date=date(1942, 5, 6),
        joined_on=date(2026, 1, 5),
        phone=PHONE,
    )
    stream = f"member-{event.member_id}"
    meta = EventMetadata(correlation_id=new_id(), actor=SYSTEM_ACTOR, occurred_at=datetime.now(UTC))
    await EventStore(pool, privacy=owner).append([StreamWrite(stream, "member", 0, [event])], meta)
    data = await pool.fetchval(
        "SELECT data FROM events WHERE stream_id = $1 AND version = 1", stream
    )
    envelope = EventEnvelope(
        event_id=new_id(),
        type=JOINED,
        schema_version=MemberJoined.schema_version,
        stream_id=stream,
        stream_type="member",
        version=1,
        recorded_at=datetime.now(UTC),
        metadata=meta,
        data=data,
    )
    return event, envelope


async def reader_of(pool: asyncpg.Pool, master: LocalMasterKeys, env: EventEnvelope) -> Privacy:
    """A projection's privacy with the keys of `env` loaded, as the runner loads a batch's."""
    privacy = privacy_for(pool, master)
    await privacy.load([(env.type, env.stream_id, env.data)])
    return privacy


async def test_a_kept_value_is_the_events_ciphertext_and_reads_back_in_clear(
    pool: asyncpg.Pool, master: LocalMasterKeys
) -> None:
    _, env = await sealed_envelope(pool, privacy_for(pool, master))
    reader = await reader_of(pool, master, env)

    with sealing_with(reader):
        name, born = keep(env, "full_name"), keep_text(env, "birth_date")

    assert isinstance(name, str) and name.startswith(EVENT_COLUMN_PREFIX)
    assert str(env.data["full_name"]).split(":")[-1] in name  # not sealed a second time
    assert NAME not in name and "1942" not in str(born)
    # A query with a cold cache opens both, from the column alone.
    rows = await reveal(privacy_for(pool, master), [{"n": name, "b": born}], "n", "b")
    assert rows == [{"n": NAME, "b": "1942-05-06"}]


async def test_after_erasure_kept_values_read_as_erased_and_a_rebuild_keeps_nothing_readable(
    pool: asyncpg.Pool, master: LocalMasterKeys
) -> None:
    owner = privacy_for(pool, master)
    event, env = await sealed_envelope(pool, owner)
    reader = await reader_of(pool, master, env)
    with sealing_with(reader):
        kept = keep(env, "full_name")

    await owner.keys.destroy(event.person_id)

    rows = await reveal(privacy_for(pool, master), [{"n": kept}], "n")
    assert rows == [{"n": ERASED_TEXT}]
    # A rebuild after the erasure needs no key: it keeps the ciphertext, unreadable as the
    # event's, and a query shows the stand-in.
    with sealing_with(privacy_for(pool, master)):
        rebuilt = keep(env, "full_name"), keep_text(env, "birth_date")
    assert NAME not in str(rebuilt) and "1942" not in str(rebuilt)
    rows = await reveal(privacy_for(pool, master), [{"n": rebuilt[0], "b": rebuilt[1]}], "n", "b")
    assert rows == [{"n": ERASED_TEXT, "b": ERASED_TEXT}]


async def test_protect_keeps_the_ciphertext_only_of_the_value_the_event_holds(
    pool: asyncpg.Pool, master: LocalMasterKeys
) -> None:
    _, env = await sealed_envelope(pool, privacy_for(pool, master))
    reader = await reader_of(pool, master, env)
    opened = reader.open(env.type, env.stream_id, env.data)

    with sealing_with(reader):
        same = protect(env, "full_name", opened["full_name"])
        born = protect(env, "birth_date", date(1942, 5, 6))
        changed = protect(env, "full_name", NAME.upper())

    assert isinstance(same, str) and same.startswith(EVENT_COLUMN_PREFIX)
    assert isinstance(born, str) and born.startswith(EVENT_COLUMN_PREFIX)
    # Not the event's value: sealed on its own, never passed off as the event's.
    assert isinstance(changed, str) and changed.startswith(COLUMN_PREFIX)
    rows = await reveal(
        privacy_for(pool, master), [{"a": same, "b": born, "c": changed}], "a", "b", "c"
    )
    assert rows == [{"a": NAME, "b": "1942-05-06", "c": NAME.upper()}]


async def test_a_tampered_or_moved_kept_value_reads_as_erased(
    pool: asyncpg.Pool, master: LocalMasterKeys
) -> None:
    owner = privacy_for(pool, master)
    _, env = await sealed_envelope(pool, owner)
    _, other = await sealed_envelope(pool, owner)
    reader = await reader_of(pool, master, env)
    with sealing_with(reader):
        kept = str(keep(env, "full_name"))

    body = kept.rsplit(":", 1)[1]
    flipped = kept[:-4] + ("AAAA" if not kept.endswith("AAAA") else "BBBB")
    moved = kept.replace(env.stream_id, other.stream_id)
    as_phone = kept.replace(":full_name:", ":phone:")
    mangled = EVENT_COLUMN_PREFIX + body
    rows = await reveal(
        privacy_for(pool, master),
        [{"v": value} for value in (flipped, moved, as_phone, mangled)],
        "v",
    )
    assert [row["v"] for row in rows] == [ERASED_TEXT] * 4


async def test_opening_only_some_fields_decrypts_no_other(
    pool: asyncpg.Pool, master: LocalMasterKeys
) -> None:
    _, env = await sealed_envelope(pool, privacy_for(pool, master))
    reader = await reader_of(pool, master, env)
    # A corrupted phone would be logged and read as erased if it were opened; left
    # unopened, it is the stand-in without any attempt.
    tampered = {**env.data, "phone": str(env.data["phone"])[:-4] + "AAAA"}

    opened = reader.open(env.type, env.stream_id, tampered, frozenset({"full_name"}))

    assert opened["full_name"] == NAME
    assert opened["birth_date"] is None
    assert opened["phone"] is None
    assert reader.opened_as(env.stream_id, "phone", tampered["phone"]) is None
    decoded = REGISTRY.decode(env.type, env.schema_version, opened)
    assert isinstance(decoded, MemberJoined)
    assert decoded.full_name == NAME


def test_a_projection_may_leave_only_sensitive_fields_unopened() -> None:
    projection = Projection("names", ["membership"])

    @projection.writes(MemberJoined, opens=())
    def names(env: EventEnvelope, event: MemberJoined) -> list[Any]:
        return []

    assert projection.opens == {JOINED: frozenset()}
    with pytest.raises(ValueError, match="no sensitive field club_id"):
        projection.writes(MemberJoined, opens=("club_id",))(names)


class Grant:
    """The owner's side of a grant, in process (over NATS in the services)."""

    def __init__(self, owner: Privacy, categories: set[str]) -> None:
        self.owner = owner
        self.categories = categories

    async def fetch(self, refs: Sequence[KeyRef]) -> Mapping[KeyRef, bytes | None]:
        return await self.owner.keys.raw([r for r in refs if r.category in self.categories])


async def test_another_service_keeps_only_what_it_is_granted(
    pool: asyncpg.Pool, master: LocalMasterKeys
) -> None:
    owner = privacy_for(pool, master)
    _, env = await sealed_envelope(pool, owner)
    other_master = LocalMasterKeys("a", {"a": new_key()})
    advocacy = Privacy(
        "advocacy",
        SubjectKeys(pool, other_master),
        REGISTRY,
        granted={"membership": Grant(owner, {"identity"})},
    )
    await advocacy.load([(env.type, env.stream_id, env.data)])

    with sealing_with(advocacy):
        name, phone = keep(env, "full_name"), keep(env, "phone")

    assert isinstance(name, str) and name.startswith(f"{EVENT_COLUMN_PREFIX}membership:")
    assert PHONE not in str(phone)
    querying = Privacy(
        "advocacy",
        SubjectKeys(pool, other_master),
        REGISTRY,
        granted={"membership": Grant(owner, {"identity"})},
    )
    # Contact is not granted: the kept phone reads as erased here, as the event's would.
    assert await reveal(querying, [{"n": name, "p": phone}], "n", "p") == [
        {"n": NAME, "p": ERASED_TEXT}
    ]


async def test_a_projection_that_keeps_names_never_opens_them_and_follows_erasure(
    pool: asyncpg.Pool, master: LocalMasterKeys, nats_client: Client, service: str
) -> None:
    owner = privacy_for(pool, master)
    kept_event, _ = await sealed_envelope(pool, owner)
    erased_event, _ = await sealed_envelope(pool, owner)
    await pool.execute("CREATE TABLE kept_names (member_id uuid PRIMARY KEY, name text, seen text)")
    relay = Relay(pool, nats_client, RelayConfig(service=service, poll_interval=0.05))

    def names_projection(name: str) -> Projection:
        projection = Projection(name=name, sources=[service])

        @projection.writes(MemberJoined, opens=())
        def joined(env: EventEnvelope, event: MemberJoined) -> list[Write]:
            sql = "INSERT INTO kept_names VALUES ($1, $2, $3) ON CONFLICT (member_id) DO UPDATE"
            sql += " SET name = excluded.name, seen = excluded.seen"
            # `seen`: what the handler itself was given for the name (not opened: a stand-in).
            return [Write(sql, (event.member_id, keep(env, "full_name"), event.full_name))]

        return projection

    async def caught_up(runner: ProjectionRunner) -> None:
        async def done() -> bool:
            return await runner.checkpoint(service) >= 2

        await wait_until(done, timeout=20, message="the projection did not catch up")

    async def names() -> dict[object, object]:
        rows = await pool.fetch("SELECT member_id, name, seen FROM kept_names")
        assert {row["seen"] for row in rows} == {ERASED_TEXT}  # never opened for the handler
        assert not any(NAME in str(row["name"]) for row in rows)
        opened = await reveal(privacy_for(pool, master), rows, "name")
        return {row["member_id"]: row["name"] for row in opened}

    async with running(relay.run):
        first = ProjectionRunner(
            pool, nats_client, names_projection("kept_names"), REGISTRY,
            poll_interval=0.05, privacy=privacy_for(pool, master),
        )  # fmt: skip
        async with running(first.run):
            await caught_up(first)
        assert await names() == {kept_event.member_id: NAME, erased_event.member_id: NAME}

        await owner.keys.destroy(erased_event.person_id)
        assert await names() == {kept_event.member_id: NAME, erased_event.member_id: ERASED_TEXT}

        # A rebuild after the erasure goes through and keeps nothing of the erased person.
        await pool.execute("TRUNCATE kept_names")
        rebuilt = ProjectionRunner(
            pool, nats_client, names_projection("kept_names_v2"), REGISTRY,
            poll_interval=0.05, privacy=privacy_for(pool, master),
        )  # fmt: skip
        async with running(rebuilt.run):
            await caught_up(rebuilt)
        assert await names() == {kept_event.member_id: NAME, erased_event.member_id: ERASED_TEXT}


async def test_keys_handed_over_under_a_grant_are_recorded_for_the_access_report(
    pool: asyncpg.Pool, master: LocalMasterKeys
) -> None:
    owner = privacy_for(pool, master)
    event, env = await sealed_envelope(pool, owner)
    transport = TransportKey.generate()
    subject = keys_subject("membership")

    async def ask(reader: str) -> dict[str, Any]:
        request = {
            "reader": reader,
            "keys": [[env.stream_id, "identity"], [env.stream_id, "contact"]],
        }
        body = transport.seal(json.dumps(request).encode(), subject)
        answer = await answer_grant("membership", owner.keys, transport, body)
        found: dict[str, Any] = json.loads(transport.open(answer, f"{subject}.reply"))
        return found

    await ask("advocacy")
    answered = await ask("advocacy")
    await ask("finance")  # granted nothing: handed nothing, recorded nothing

    assert [key[1] for key in answered["keys"]] == ["identity"]
    rows = await pool.fetch(
        "SELECT reader, subject, category, person_id, times FROM privacy_grants_served"
    )
    assert [dict(row) for row in rows] == [
        {
            "reader": "advocacy",
            "subject": env.stream_id,
            "category": "identity",
            "person_id": event.person_id,
            "times": 2,
        }
    ]
    # A destroyed key is answered as such and is no handover.
    await owner.keys.destroy(event.person_id)
    await ask("care")
    assert await pool.fetchval("SELECT count(*) FROM privacy_grants_served") == 1
