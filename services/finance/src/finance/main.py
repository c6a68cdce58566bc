"""`python -m finance`: run the finance service until SIGINT/SIGTERM."""

from __future__ import annotations

import asyncio

from finance.definition import definition
from finance.settings import Settings
from ishc_runtime.observability import configure_logging
from ishc_runtime.service import serve


def main() -> None:
    settings = Settings()
    configure_logging("finance", json=settings.log_json, level=settings.log_level)
    asyncio.run(serve(definition(), settings))
