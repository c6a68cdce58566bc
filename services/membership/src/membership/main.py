"""`python -m membership`: run the service until SIGINT/SIGTERM."""

from __future__ import annotations

import asyncio

from ishc_runtime.observability.logging import configure_logging
from ishc_runtime.service import serve
from membership.definition import definition
from membership.settings import Settings


def main() -> None:
    settings = Settings()  # database_url comes from MEMBERSHIP_DATABASE_URL
    configure_logging("membership", json=settings.log_json, level=settings.log_level)
    asyncio.run(serve(definition(), settings))
