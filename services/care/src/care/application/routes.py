"""The care service's routing table (filled by handlers.py and queries.py)."""

from __future__ import annotations

from ishc_runtime.service import Routes

routes = Routes()
