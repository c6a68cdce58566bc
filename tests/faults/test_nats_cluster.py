"""The production bus shape: a three-node JetStream cluster with R3 streams. Under load, the
node leading the busiest streams is killed, then a second node: with one node of three the
streams have no quorum, so nothing is published or consumed until the nodes come back, and
the stores (the source of truth) keep taking commands meanwhile.

The four services that append events run one instance each here (reporting, which only
reads, is left out): the point is the bus, and the machine is small."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import nats
import pytest
import pytest_asyncio
from nats.js.errors import NotFoundError

from ishc_runtime.infra.nats import assert_sync_always
from ishc_runtime.testing.nats_nodes import NatsNode
from ishc_runtime.testing.waiting import wait_until

from .checks import Checks
from .system import Cluster, System, running_system

pytestmark = [pytest.mark.chaos, pytest.mark.timeout(300)]

SEED = 29
SERVICES = ("membership", "finance", "care", "advocacy")


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def system(workdir: Path) -> AsyncIterator[System]:
    cluster = Cluster(workdir / "nats")
    for node in cluster.nodes:
        assert_sync_always(node.monitor_url)
    async with running_system(
        workdir, cluster, instances=1, services=SERVICES, settings={"STREAM_REPLICAS": "3"}
    ) as started:
        yield started


async def stream_leader(system: System, stream: str) -> str | None:
    try:
        info = await system.nc.jetstream(timeout=2).stream_info(stream)
    except (NotFoundError, TimeoutError, nats.errors.Error):
        return None
    return info.cluster.leader if info.cluster is not None else None


async def test_the_stream_leader_then_a_second_node_killed(system: System, checks: Checks) -> None:
    cluster = system.bus
    assert isinstance(cluster, Cluster)
    info = await system.nc.jetstream().stream_info("FINANCE")
    assert info.config.num_replicas == 3

    async def fault() -> str:
        first = await stream_leader(system, "FINANCE")
        assert first is not None
        killed: list[NatsNode] = [cluster.node(first)]
        killed[0].kill()

        async def new_leader() -> bool:
            leader = await stream_leader(system, "FINANCE")
            return leader is not None and leader != first

        await wait_until(new_leader, timeout=60, interval=0.2, message="no new stream leader")
        await checks.workload.progressed(30)
        second = await stream_leader(system, "FINANCE")
        assert second is not None
        killed.append(cluster.node(second))
        killed[1].kill()
        # One node of three: no quorum. The stores keep taking commands meanwhile.
        stored = checks.workload.acknowledged
        await checks.workload.progressed(20)
        # Both come back together; /healthz turns ok only once a node has caught up every
        # stream and consumer it holds, which takes tens of seconds on a loaded machine.
        for node in killed:
            node.spawn()
        for node in killed:
            node.wait_ready(timeout=120)
        return (
            f"kill -9 of {first} (FINANCE's stream leader), then of {second} (the next one):"
            f" {checks.workload.acknowledged - stored} commands acknowledged while the"
            " streams had no quorum; both restarted on their stores"
        )

    await checks.under_load(fault)
    await checks.invariants()
