"""Running a service: routing table, edge dispatch, composition root, client."""

from ishc_runtime.service.app import Service, ServiceDefinition, serve
from ishc_runtime.service.client import ask, send_command
from ishc_runtime.service.context import ServiceContext
from ishc_runtime.service.routes import Routes
from ishc_runtime.service.settings import ServiceSettings

__all__ = [
    "Routes",
    "Service",
    "ServiceContext",
    "ServiceDefinition",
    "ServiceSettings",
    "ask",
    "send_command",
    "serve",
]
