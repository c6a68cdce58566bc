"""`python -m care` / `ishc-care`: run the care service until SIGINT or SIGTERM."""

from __future__ import annotations

import asyncio

from care.definition import definition
from care.settings import Settings
from ishc_runtime.observability.logging import configure_logging
from ishc_runtime.service import serve


def main() -> None:
    settings = Settings()  # database_url comes from CARE_DATABASE_URL
    configure_logging("care", json=settings.log_json, level=settings.log_level)
    asyncio.run(serve(definition(), settings))
