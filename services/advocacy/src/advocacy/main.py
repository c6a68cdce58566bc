"""`python -m advocacy`: run the advocacy service until SIGINT/SIGTERM."""

from __future__ import annotations

import asyncio

from advocacy.definition import definition
from advocacy.settings import Settings
from ishc_runtime.observability import configure_logging
from ishc_runtime.service import serve


def main() -> None:
    settings = Settings()
    configure_logging("advocacy", json=settings.log_json, level=settings.log_level)
    asyncio.run(serve(definition(), settings))
