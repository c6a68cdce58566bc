"""Named fault points for chaos tests: `ISHC_FAULT=<point>` kills the process right there.

In-process tests replace `hit` to raise instead, so the same line is exercised either way.
"""

from __future__ import annotations

import os
import signal


def hit(point: str) -> None:
    if os.environ.get("ISHC_FAULT") == point:
        os.kill(os.getpid(), signal.SIGKILL)
