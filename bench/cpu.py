"""How much of the machine someone else used while we measured (Linux /proc).

On a shared 2-core machine a test suite started by someone else halves what we can measure,
and not equally for `ours` and its reference (they run one after the other). So every
measurement records the share of the machine's CPU time spent by processes outside the run:
everything but this process, our Postgres (postmaster and its backends) and our NATS server,
with their children. A row whose share is high is noise, not a result: run again.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

_TICK = os.sysconf("SC_CLK_TCK")
_PROC = Path("/proc")


def _machine_busy() -> float:
    """Busy CPU seconds of the whole machine since boot (all cores)."""
    fields = _PROC.joinpath("stat").read_text().splitlines()[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(f) for f in fields[:8])
    return (user + nice + system + irq + softirq + steal) / _TICK


def _processes() -> dict[int, tuple[int, float]]:
    """pid → (parent pid, CPU seconds of it and of its reaped children)."""
    found: dict[int, tuple[int, float]] = {}
    for entry in _PROC.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            raw = entry.joinpath("stat").read_text()
        except OSError:
            continue  # gone meanwhile
        rest = raw[raw.rindex(")") + 2 :].split()  # after "pid (comm) "
        parent = int(rest[1])
        utime, stime, cutime, cstime = (int(x) for x in rest[11:15])
        found[int(entry.name)] = (parent, (utime + stime + cutime + cstime) / _TICK)
    return found


def _ours(roots: set[int]) -> float:
    processes = _processes()
    children: dict[int, list[int]] = {}
    for pid, (parent, _) in processes.items():
        children.setdefault(parent, []).append(pid)
    total, todo, seen = 0.0, [r for r in roots if r in processes], set()
    while todo:
        pid = todo.pop()
        if pid in seen:
            continue
        seen.add(pid)
        total += processes[pid][1]
        todo += children.get(pid, [])
    return total


@dataclass(frozen=True)
class CpuSample:
    busy: float
    ours: float


class CpuMeter:
    """Snapshots of machine-wide and own CPU time; `foreign_share` between two of them."""

    def __init__(self, roots: set[int]) -> None:
        self.roots = roots
        self.cores = os.cpu_count() or 1

    def sample(self) -> CpuSample:
        return CpuSample(_machine_busy(), _ours(self.roots))

    def foreign_share(self, start: CpuSample, end: CpuSample, seconds: float) -> float:
        """Share of the machine (all cores over `seconds`) used by processes not ours."""
        foreign = (end.busy - start.busy) - (end.ours - start.ours)
        return max(0.0, foreign / (seconds * self.cores)) if seconds > 0 else 0.0


def loadavg() -> list[float]:
    return [float(x) for x in _PROC.joinpath("loadavg").read_text().split()[:3]]
