"""`python -m gateway`: serve the gateway with uvicorn."""

from __future__ import annotations

import os

import uvicorn

from gateway.app import create_app
from gateway.settings import GatewaySettings
from ishc_runtime.observability import configure_logging, configure_tracing


def main() -> None:
    configure_logging("gateway")
    configure_tracing("gateway")
    settings = GatewaySettings()
    host = os.environ.get("GATEWAY_HOST", "127.0.0.1")
    port = int(os.environ.get("GATEWAY_PORT", "8000"))
    uvicorn.run(create_app(settings), host=host, port=port, log_config=None, access_log=False)
