"""How a service takes requests off NATS (`ishc_runtime.service.app.Requests`): a bounded
number at once, every request answered, and the ones in hand finished at stop."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import nats
import pytest
import pytest_asyncio
from nats.aio.client import Client
from nats.aio.msg import Msg

from ishc_contracts import new_id
from ishc_contracts.errors import Reply
from ishc_runtime.service.app import Requests
from ishc_runtime.testing.infrastructure import Infrastructure
from ishc_runtime.testing.waiting import wait_until

pytestmark = pytest.mark.integration


@pytest_asyncio.fixture(loop_scope="session")
async def server_side(infrastructure: Infrastructure) -> AsyncIterator[Client]:
    """The serving side's own connection (as a service has), apart from the caller's."""
    client = await nats.connect(infrastructure.nats_url, name="ishc-test-server")
    try:
        yield client
    finally:
        await client.close()


def subject() -> str:
    return f"test.requests.{new_id().hex}"


async def test_requests_are_answered_concurrently_up_to_the_bound(
    server_side: Client, nats_client: Client
) -> None:
    requests = Requests(server_side, "test", concurrency=2)
    inside, most, release = 0, 0, asyncio.Event()
    two_inside = asyncio.Event()

    async def answer(msg: Msg) -> bytes:
        nonlocal inside, most
        inside += 1
        most = max(most, inside)
        if inside == 2:
            two_inside.set()
        await release.wait()
        inside -= 1
        return msg.data.upper()

    where = subject()
    await requests.serve(where, answer)
    await server_side.flush()
    calls = [
        asyncio.create_task(nats_client.request(where, f"r{n}".encode(), timeout=10))
        for n in range(4)
    ]
    await asyncio.wait_for(two_inside.wait(), 10)
    # The third and fourth wait for a slot: none has been answered yet.
    assert not any(call.done() for call in calls)
    release.set()
    replies = await asyncio.gather(*calls)

    assert sorted(reply.data for reply in replies) == [b"R0", b"R1", b"R2", b"R3"]
    assert most == 2
    await requests.stop()


async def test_a_handler_that_fails_is_answered_with_an_internal_problem(
    server_side: Client, nats_client: Client
) -> None:
    requests = Requests(server_side, "test", concurrency=4)

    async def answer(_msg: Msg) -> bytes:
        msg = "a bug below the dispatcher"
        raise RuntimeError(msg)

    where = subject()
    await requests.serve(where, answer)
    await server_side.flush()

    reply = Reply.model_validate_json((await nats_client.request(where, b"x", timeout=10)).data)

    assert not reply.ok and reply.problem is not None
    assert reply.problem.status == 500 and "bug" not in (reply.problem.detail or "")
    await requests.stop()


async def test_stop_takes_no_more_requests_and_finishes_those_in_hand(
    server_side: Client, nats_client: Client
) -> None:
    requests = Requests(server_side, "test", concurrency=4)
    started, release = asyncio.Event(), asyncio.Event()

    async def answer(msg: Msg) -> bytes:
        started.set()
        await release.wait()
        return b"done " + msg.data

    where = subject()
    await requests.serve(where, answer)
    await server_side.flush()
    in_hand = asyncio.create_task(nats_client.request(where, b"first", timeout=10))
    await asyncio.wait_for(started.wait(), 10)

    stopping = asyncio.create_task(requests.stop())
    await wait_until(lambda: not requests.subscriptions, message="stop never unsubscribed")
    assert not stopping.done()  # it waits for the request in hand
    release.set()
    await stopping

    assert (await in_hand).data == b"done first"
    with pytest.raises(nats.errors.NoRespondersError):
        await nats_client.request(where, b"second", timeout=2)
