"""A short, greppable digest of a pyinstrument session: where the event loop's time went."""

from __future__ import annotations

from collections import Counter
from typing import Any


def _name(frame: Any) -> str:
    path = frame.file_path_short or frame.file_path or ""
    return f"{frame.function}  ({path}:{frame.line_no or ''})" if path else frame.function


def summarise(session: Any, top: int = 25) -> str:
    """Self time and inclusive time per function, as shares of the sampled wall time.

    Inclusive time counts a function once per call stack (recursion is not double counted).
    Time in `select`/`epoll` is the event loop idle, waiting for Postgres or NATS to answer.
    """
    root = session.root_frame()
    if root is None:
        return "empty profile\n"
    total = root.time or 1.0
    self_time: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()

    def walk(frame: Any, seen: frozenset[str]) -> None:
        if frame.is_synthetic:
            return  # "[self]"/"[await]" leaves: already in their parent's total_self_time
        name = _name(frame)
        self_time[name] += frame.total_self_time
        if name not in seen:
            inclusive[name] += frame.time
        for child in frame.children:
            walk(child, seen | {name})

    walk(root, frozenset())
    lines = [
        f"wall {session.duration:.2f}s, cpu {session.cpu_time:.2f}s, sampled {total:.2f}s",
        "",
        f"top {top} by self time (share of sampled wall time):",
    ]
    lines += [f"  {t / total:6.1%}  {name}" for name, t in self_time.most_common(top)]
    lines += ["", f"top {top * 2} by inclusive time:"]
    lines += [f"  {t / total:6.1%}  {name}" for name, t in inclusive.most_common(top * 2)]
    return "\n".join(lines) + "\n"
