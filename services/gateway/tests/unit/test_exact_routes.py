"""Routes with a fixed path found by the index (`gateway.exact_routes`) answer as the router's
scan would have: the same route wins, other methods and paths fall through to the scan."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from prometheus_client import REGISTRY
from starlette.requests import Request
from starlette.responses import PlainTextResponse

from gateway.exact_routes import ExactRoutes, index_exact_routes

from ..support import command_headers, token

pytestmark = pytest.mark.unit


def small_app() -> tuple[FastAPI, ExactRoutes]:
    app = FastAPI()

    async def first_dup(_request: Request) -> PlainTextResponse:
        return PlainTextResponse("first")

    app.router.add_route("/dup", first_dup, methods=["GET"])

    @app.get("/dup")
    def second_dup() -> str:
        return "second"

    @app.get("/a")
    def get_a(request: Request) -> dict[str, str]:
        return {
            "route": request.scope["route"].path,
            "router": type(request.scope["router"]).__name__,
        }

    @app.post("/a", status_code=201)
    def post_a() -> str:
        return "posted"

    @app.get("/items/{item}")
    def item(item: int) -> int:
        return item

    @app.get("/b")  # after a path with a parameter: left to the scan
    def get_b() -> str:
        return "b"

    return app, index_exact_routes(app.router)


def test_the_index_holds_the_fixed_paths_before_the_first_that_is_not() -> None:
    _, exact = small_app()

    # Starlette's own routes answer HEAD for GET; FastAPI's answer the methods they name.
    indexed = {(method, path) for method, path in exact.table if path in {"/dup", "/a", "/b"}}
    assert indexed == {
        ("GET", "/dup"),
        ("HEAD", "/dup"),
        ("GET", "/a"),
        ("POST", "/a"),
    }
    assert not any(path.startswith("/items") for _, path in exact.table)


def test_requests_are_answered_as_the_scan_would() -> None:
    app, _ = small_app()
    with TestClient(app) as client:
        assert client.get("/dup").text == "first"  # the first of a method and path wins
        assert client.get("/a").json() == {"route": "/a", "router": "APIRouter"}
        assert client.post("/a").status_code == 201
        assert client.get("/items/7").json() == 7
        assert client.get("/b").json() == "b"
        assert client.put("/a").status_code == 405  # the scan answers other methods
        assert client.get("/nowhere").status_code == 404
        assert client.get("/a/", follow_redirects=False).status_code == 307


def test_a_command_through_the_index_is_labelled_by_its_route(client: TestClient) -> None:
    path = "/v1/sample/commands/deposit"
    response = client.post(
        path,
        json={"account_id": "0193a000-0000-7000-8000-000000000002", "amount": 5000},
        headers=command_headers(token(sub="lan")),
    )

    assert response.status_code == 201, response.text
    count = REGISTRY.get_sample_value(
        "ishc_gateway_requests_total", {"method": "POST", "route": path, "status": "201"}
    )
    assert count is not None and count >= 1
