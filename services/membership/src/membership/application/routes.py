"""The membership routing table: commands/, queries.py and reports.py register on it."""

from __future__ import annotations

from ishc_runtime.service import Routes

routes = Routes()
