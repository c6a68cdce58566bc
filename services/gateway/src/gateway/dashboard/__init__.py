"""The web dashboard (issue #12), mounted at `/app/` by `create_app`.

Server-rendered pages (Jinja2) with a few KB of progressive-enhancement script, every asset
served from this package. Pages read and write only through the gateway's own `/v1` routes,
in-process, with the signed-in user's token (see `calls`), so every role and scope rule of
the API applies unchanged.
"""

from __future__ import annotations

from fastapi import FastAPI

from gateway.dashboard.routes_club import club_router
from gateway.dashboard.routes_oidc import oidc_router
from gateway.dashboard.routes_operator import operator_router
from gateway.dashboard.routes_province import province_router
from gateway.dashboard.routes_session import session_router
from gateway.dashboard.routes_volunteer import volunteer_router
from gateway.dashboard.routes_year import year_router
from gateway.settings import GatewaySettings


def install(app: FastAPI, settings: GatewaySettings) -> None:
    app.include_router(session_router(settings))
    if settings.oidc_enabled:
        app.include_router(oidc_router(settings))
    app.include_router(club_router())
    app.include_router(year_router())
    app.include_router(volunteer_router())
    app.include_router(province_router())
    app.include_router(operator_router())
