"""Requests for a route with a fixed path found by a dictionary instead of a scan.

The router tries its routes in order, a regular expression each, until one matches: with a
hundred generated commands and queries that was the largest cost left in the gateway's
handling of a command (bench.gateway_cpu, issue #22). Here every route with a fixed path
that comes before anything else (a path with parameters, a mount, an included router) is
indexed by method and path; a request for one of them is handed to FastAPI's own routing
over that single route, so matching, scope, telemetry naming and handling stay FastAPI's.
Only where the scan would have chosen the same route: among fixed paths the first of a
method and path wins, and nothing is indexed past the first route whose matches cannot be
told from its path alone. Anything else goes through the scan as before.
"""

from __future__ import annotations

from fastapi import APIRouter
from starlette.routing import Route, WebSocketRoute
from starlette.types import ASGIApp, Receive, Scope, Send


class ExactRoutes:
    def __init__(self, router: APIRouter, scan: ASGIApp) -> None:
        self.router = router
        self.scan = scan
        self.table: dict[tuple[str, str], APIRouter] = {}
        for route in router.routes:
            if isinstance(route, WebSocketRoute):
                continue  # matches no HTTP request
            if not isinstance(route, Route) or route.param_convertors or route.methods is None:
                break
            alone = APIRouter()
            alone.routes.append(route)
            for method in route.methods:
                self.table.setdefault((method, route.path), alone)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not scope.get("root_path"):
            alone = self.table.get((scope["method"], scope["path"]))
            if alone is not None:
                scope.setdefault("router", self.router)
                await alone.app(scope, receive, send)
                return
        await self.scan(scope, receive, send)


def index_exact_routes(router: APIRouter) -> ExactRoutes:
    """Put the index in front of `router`'s scan (after its routes are added)."""
    exact = ExactRoutes(router, router.middleware_stack)
    router.middleware_stack = exact
    return exact
