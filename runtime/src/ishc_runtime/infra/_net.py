"""Loopback networking helpers shared by the embedded launchers.

Both launchers bind only to 127.0.0.1: the embedded servers are for tests and for a
single-machine demo, and must never be reachable from the network.
"""

from __future__ import annotations

import socket
import time

LOOPBACK = "127.0.0.1"


def free_port() -> int:
    """Return a TCP port on loopback that was free a moment ago.

    The kernel picks it (bind to port 0), so it is unlikely to collide; the window between
    closing this socket and the server binding is tiny, and callers that choose the port this
    way retry once on a bind failure.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        port: int = sock.getsockname()[1]
        return port


def tcp_accepts(port: int, host: str = LOOPBACK, timeout: float = 0.2) -> bool:
    """Tell whether something accepts TCP connections on ``host:port`` right now."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def deadline_after(seconds: float) -> float:
    """A monotonic deadline, so that readiness polls are bounded whatever the wall clock does."""
    return time.monotonic() + seconds
