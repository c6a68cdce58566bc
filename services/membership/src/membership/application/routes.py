"""The membership routing table: handlers.py and queries.py register on it."""

from __future__ import annotations

from ishc_runtime.service import Routes

routes = Routes()
