"""What recording a read costs the gateway (ADR 0053): one JetStream publish of an
`AccessRecorded` with its message id, waiting for the ack (file store, `sync_interval:
always`), against a core NATS request/reply round trip (the least a query costs).

    uv run python -m bench.access_audit [--count 2000]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from datetime import UTC, datetime

import nats
from nats.aio.msg import Msg

from bench.infra import servers
from gateway.access import JetStreamAccessLog, records
from gateway.auth import Principal, Role

ANSWER = {
    "members": [
        {"person_id": f"0193a000-0000-7000-8000-{n:012d}", "full_name": "x", "age": 70}
        for n in range(70)
    ]
}


def quantiles(samples: list[float]) -> str:
    cuts = statistics.quantiles(samples, n=100)
    return f"p50 {cuts[49] * 1e3:.2f} ms, p95 {cuts[94] * 1e3:.2f} ms"


async def measure(url: str, count: int) -> None:
    nc = await nats.connect(url)
    try:
        audit = JetStreamAccessLog(nc)
        await audit.ensure_stream(declare=True)
        principal = Principal(
            sub="secretary-7",
            role=Role.CLUB_SECRETARY,
            club_ids=frozenset(),
            province_codes=frozenset(),
        )
        recorded: list[float] = []
        for _ in range(count):
            made = records(
                principal, "membership.ClubRoster", "club_administration", ANSWER, None,
                datetime.now(UTC),
            )  # fmt: skip
            start = time.perf_counter()
            await audit.record(made)
            recorded.append(time.perf_counter() - start)

        async def echo(msg: Msg) -> None:
            await msg.respond(msg.data)

        await nc.subscribe("bench.echo", cb=echo)
        round_trips: list[float] = []
        body = b"x" * 2000
        for _ in range(count):
            start = time.perf_counter()
            await nc.request("bench.echo", body, timeout=5)
            round_trips.append(time.perf_counter() - start)
        print(f"access record (70 persons), publish + ack: {quantiles(recorded)}")
        print(f"core request/reply round trip (2 kB):     {quantiles(round_trips)}")
    finally:
        await nc.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=2000)
    args = parser.parse_args()
    with servers() as found:
        asyncio.run(measure(found.nats_url, args.count))


if __name__ == "__main__":
    main()
