"""Onboarding at the edge: `/` opens the dashboard, `/docs` (Swagger UI) and `/redoc` work on
a closed network, and the OpenAPI document says how to authenticate.

The Swagger UI and ReDoc assets come from the `fastapi-offline` wheel (they are files in the
package, served from here: no CDN, no Google fonts). The document declares the bearer JWT as
a security scheme (the Authorize button), required by every operation except the health
probes, metrics and the development token issuer; each operation's summary says what it does
(a command without a docstring of its own gets one from its name, never the base class's).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import fastapi_offline
from fastapi import FastAPI, Request
from fastapi.openapi.docs import (
    get_redoc_html,
    get_swagger_ui_html,
    get_swagger_ui_oauth2_redirect_html,
)
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

ASSETS = Path(fastapi_offline.__file__).parent / "static"
ASSETS_URL = "/docs-assets"
BEARER = "bearer"
# Operations anyone may call: probes, metrics, and the dev issuer that hands out tokens.
OPEN = ("/healthz", "/readyz", "/metrics", "/v1/dev/tokens")


def words(name: str) -> str:
    """`SubmitLoanApplication` → "Submit loan application"."""
    parts = re.findall(r"[A-Z][a-z0-9]*|[a-z0-9]+", name)
    return " ".join([parts[0], *(p.lower() for p in parts[1:])]) if parts else name


def own_summary(model: type, kind: str) -> str:
    """The first line of the class's own docstring, else its name in words (a query read
    as "Get …")."""
    doc = (model.__dict__.get("__doc__") or "").strip()
    if doc:
        return doc.split("\n", 1)[0].strip().rstrip(".")
    said = words(model.__name__)
    if kind == "query" and not said.lower().startswith(("get ", "list ", "find ")):
        return f"Get {said[0].lower()}{said[1:]}"
    return said


def install_docs(app: FastAPI) -> None:
    app.mount(ASSETS_URL, StaticFiles(directory=ASSETS), name="docs-assets")

    @app.get("/", include_in_schema=False)
    async def home() -> Response:
        return RedirectResponse("/app/", status_code=307)

    @app.get("/docs", include_in_schema=False)
    async def swagger(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return get_swagger_ui_html(
            openapi_url=f"{root}/openapi.json",
            title=f"{app.title} · Swagger UI",
            oauth2_redirect_url=f"{root}/docs/oauth2-redirect",
            swagger_js_url=f"{root}{ASSETS_URL}/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{ASSETS_URL}/swagger-ui.css",
            swagger_favicon_url=f"{root}{ASSETS_URL}/favicon.png",
            swagger_ui_parameters={"persistAuthorization": True},
        )

    @app.get("/docs/oauth2-redirect", include_in_schema=False)
    async def swagger_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    @app.get("/redoc", include_in_schema=False)
    async def redoc(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return get_redoc_html(
            openapi_url=f"{root}/openapi.json",
            title=f"{app.title} · ReDoc",
            redoc_js_url=f"{root}{ASSETS_URL}/redoc.standalone.js",
            redoc_favicon_url=f"{root}{ASSETS_URL}/favicon.png",
            with_google_fonts=False,
        )

    def document() -> dict[str, Any]:
        if app.openapi_schema is None:
            spec = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
            )
            components = spec.setdefault("components", {})
            components["securitySchemes"] = {
                BEARER: {
                    "type": "http",
                    "scheme": "bearer",
                    "bearerFormat": "JWT",
                    "description": "An access token from your organisation's identity provider"
                    " (in development: `POST /v1/dev/tokens`)",
                }
            }
            for path, operations in spec.get("paths", {}).items():
                for operation in operations.values():
                    if isinstance(operation, dict):
                        operation["security"] = [] if path in OPEN else [{BEARER: []}]
            app.openapi_schema = spec
        return app.openapi_schema

    app.openapi = document  # type: ignore[method-assign]
