"""A clock the fault harness can jump, in a real service process (loaded at interpreter start
from PYTHONPATH, like libfaketime from LD_PRELOAD but for `ishc_runtime.clock.SystemClock`).

`ISHC_FAULT_CLOCK_FILE` names a file holding an offset in seconds; every `SystemClock.now()`
adds the offset it holds at that moment (0 while the file is absent). Only the process's own
clock moves: Postgres and NATS keep the real time, as they would when one host's clock steps.
"""

from __future__ import annotations

import os

_PATH = os.environ.get("ISHC_FAULT_CLOCK_FILE")

if _PATH is not None:
    _FILE: str = _PATH
    from datetime import UTC, datetime, timedelta

    from ishc_runtime import clock

    _cache: dict[str, object] = {"stamp": None, "offset": timedelta(0)}

    def _offset() -> timedelta:
        try:
            stamp = os.stat(_FILE).st_mtime_ns
        except OSError:
            return timedelta(0)
        if stamp != _cache["stamp"]:
            with open(_FILE) as held:
                _cache["offset"] = timedelta(seconds=float(held.read() or 0))
            _cache["stamp"] = stamp
        offset = _cache["offset"]
        assert isinstance(offset, timedelta)
        return offset

    def _now(self: clock.SystemClock) -> datetime:
        return datetime.now(UTC) + _offset()

    clock.SystemClock.now = _now  # type: ignore[method-assign]
