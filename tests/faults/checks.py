"""A scenario's frame: load before, during and after the fault, then every invariant, with
the counts printed. Checks are cumulative: each scenario checks everything since the start."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

from ishc_ops.verify import Verifier
from ishc_runtime.testing.waiting import wait_until

from .invariants import (
    funds_balanced,
    nothing_parked,
    nothing_skipped,
    projections_equal_folds,
    published_once,
    seq_contiguous,
    stored_once,
)
from .system import System
from .workload import Workload


class Checks:
    def __init__(self, system: System, workload: Workload, say: Callable[[str], None]) -> None:
        self.system = system
        self.workload = workload
        self.say = say
        self.started = self.loaded = time.monotonic()

    async def under_load(
        self, fault: Callable[[], Awaitable[str]], *, before: int = 25, after: int = 40
    ) -> None:
        """Commands flowing: `before` acknowledged, then the fault, then `after` more."""
        workload = self.workload
        workload.start()
        try:
            await workload.progressed(before)
            self.say(f"fault: {await fault()}")
            await workload.progressed(after, timeout=240)
        finally:
            await workload.stop()
        self.loaded = time.monotonic()

    async def clients_notice(self, attempts: int = 3, timeout: float = 120) -> int:
        """Wait until clients met `attempts` more unknown outcomes (the fault is felt)."""
        history = self.workload.history

        def unknown() -> int:
            return sum(op.unknown_attempts for op in history.ops)

        before = unknown()
        await wait_until(
            lambda: unknown() >= before + attempts,
            timeout=timeout,
            interval=0.1,
            message=f"clients never noticed the fault ({unknown() - before} unknown outcomes)",
        )
        return unknown() - before

    def verifiers(self) -> dict[str, Verifier]:
        system = self.system
        for service in system.services:
            if service not in system.verifiers:
                definition = system.definitions[service]
                system.verifiers[service] = Verifier(
                    system.pools[service],
                    system.nc,
                    system.dsn(service),
                    definition,
                    [p for p in definition.projections if p.tables],
                )
        return system.verifiers

    async def invariants(self, *, parked: int = 0) -> None:
        """Settle, then check everything; report every check, then fail on any that broke."""
        system = self.system
        await system.wait_ready()
        await system.settle()
        self.say(f"history: {self.workload.history.summary()}")
        broken = []
        checks: list[Callable[[], Awaitable[str]]] = [
            lambda: stored_once(self.workload.history, system.pools),
            lambda: seq_contiguous(system.pools, system.settled_seq),
            lambda: published_once(system.nc, system.pools, system.settled_seq),
            lambda: projections_equal_folds(self.verifiers()),
            lambda: funds_balanced(system.pools),
            lambda: nothing_parked(system.pools, parked),
            lambda: nothing_skipped(system.nc, system.pools, system.definitions),
        ]
        for check in checks:
            try:
                self.say(f"ok: {await check()}")
            except AssertionError as error:
                broken.append(str(error))
                self.say(f"BROKEN: {error}")
        now = time.monotonic()
        self.say(
            f"scenario took {now - self.started:.0f} s"
            f" (load and fault {self.loaded - self.started:.0f} s, checks {now - self.loaded:.0f} s)"
        )
        assert not broken, "\n".join(broken)
