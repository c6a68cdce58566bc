"""Finance's routing table: handlers register on it when their modules are imported."""

from __future__ import annotations

from ishc_runtime.service import Routes

routes = Routes()
