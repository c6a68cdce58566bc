"""The advocacy routing table: every command and query it answers registers here."""

from __future__ import annotations

from ishc_runtime.service import Routes

routes = Routes()
