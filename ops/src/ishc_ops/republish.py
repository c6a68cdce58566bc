"""Re-publishing a service's events from its store to JetStream, as the relay would.

Same subjects, body and headers as the relay (`Nats-Msg-Id` = event id, `Ishc-Seq`), sent in
the relay's atomic batches. Nothing is sent twice: publication starts after the last
`Ishc-Seq` the stream already holds, and the stream's dedup window drops repeats within it.
It takes the relay's lease meanwhile, so it runs only while no relay of the service leads
(stopped, or its lease expired); and like the relay's, each batch must follow the stream's
last sequence, so nothing can interleave.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import asyncpg
from nats.aio.client import Client as NatsClient
from nats.js.errors import NotFoundError

from ishc_contracts import subjects
from ishc_ops.targets import FAILED, OpsError
from ishc_runtime.leases import Leases, default_instance_id
from ishc_runtime.relay import Relay, RelayConfig
from ishc_runtime.relay.relay import SEQ_HEADER, StreamMovedOn

BATCH = 500


@dataclass(frozen=True)
class Plan:
    stream: str
    requested_from: int
    start: int
    end: int
    in_stream: int
    stream_exists: bool

    @property
    def count(self) -> int:
        return max(0, self.end - self.start + 1)


async def last_in_stream(nc: NatsClient, service: str) -> tuple[bool, int]:
    js = nc.jetstream()
    stream = subjects.stream_name(service)
    try:
        await js.stream_info(stream)
    except NotFoundError:
        return False, 0
    try:
        last = await js.get_last_msg(stream, subjects.all_events(service))
    except NotFoundError:
        return True, 0
    return True, int((last.headers or {}).get(SEQ_HEADER, 0))


async def make_plan(
    pool: asyncpg.Pool, nc: NatsClient, service: str, start: int, end: int | None
) -> Plan:
    exists, in_stream = await last_in_stream(nc, service)
    if end is None:
        relayed = await pool.fetchval(
            "SELECT seq FROM relay_checkpoints WHERE stream = $1", subjects.stream_name(service)
        )
        # Up to what the relay believes it published: the relay goes on from there itself.
        end = int(relayed or 0) or int(
            await pool.fetchval("SELECT coalesce(max(seq), 0) FROM events")
        )
    return Plan(
        subjects.stream_name(service), start, max(start, in_stream + 1), end, in_stream, exists
    )


async def republish(
    pool: asyncpg.Pool,
    nc: NatsClient,
    service: str,
    plan: Plan,
    progress: Callable[[int], None] = lambda _: None,
    replicas: int = 1,
) -> int:
    relay = Relay(pool, nc, RelayConfig(service=service, replicas=replicas))
    leases = Leases(pool, f"ops-republish:{default_instance_id()}")
    async with leases.leading(relay.role) as lease, pool.acquire() as conn:
        if lease is None:
            msg = (
                f"the relay of {service} is publishing right now (it holds its lease); retry, or"
                " stop the service's relay first"
            )
            raise OpsError(msg, FAILED)
        await relay.ensure_stream()
        # Checked again under the lease: the relay may have published since the plan.
        _, in_stream = await last_in_stream(nc, service)
        after = max(plan.start - 1, in_stream)
        sent = 0
        while after < plan.end:
            rows = await relay.pending(conn, after, min(BATCH, plan.end - after))
            if not rows:
                break
            try:
                await relay.publish_batch(rows)
            except StreamMovedOn as moved:
                msg = f"another publisher wrote to {plan.stream} meanwhile ({moved}); run it again"
                raise OpsError(msg, FAILED) from moved
            after = int(rows[-1]["seq"])
            sent += len(rows)
            progress(len(rows))
        return sent
