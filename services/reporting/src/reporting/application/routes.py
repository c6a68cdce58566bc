"""Reporting's routes: queries only (a read-side service has no commands)."""

from __future__ import annotations

from ishc_runtime.service import Routes

routes = Routes()
