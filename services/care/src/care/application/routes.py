"""The care service's routing table (filled by commands/, queries.py and reports.py)."""

from __future__ import annotations

from ishc_runtime.service import Routes

routes = Routes()
