"""`python -m reporting`: run the reporting service until SIGINT/SIGTERM."""

from __future__ import annotations

import asyncio

from ishc_runtime.observability import configure_logging
from ishc_runtime.service import serve
from reporting.definition import definition
from reporting.settings import Settings


def main() -> None:
    settings = Settings()
    configure_logging("reporting", json=settings.log_json, level=settings.log_level)
    asyncio.run(serve(definition(), settings))
