"""The app factory: one FastAPI app per settings (database URL, signing key, clock, classifier).

API processes keep no state of their own beyond caches, so any number of them, behind any load
balancer, can serve one PostgreSQL database; the database's sequencer keeps the log one tree.
"""

from __future__ import annotations

import sqlalchemy as sa
from fastapi import Depends, FastAPI, Request
from fastapi.routing import APIRoute, iter_route_contexts
from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from distillgov import __version__
from distillgov.registry import translog
from distillgov.registry.actors import Actor
from distillgov.registry.api import (
    problems,
    routes_claims,
    routes_directory,
    routes_licenses,
    routes_log,
    routes_models,
    routes_notices,
    routes_provenance,
)
from distillgov.registry.api.auth import PUBLIC
from distillgov.registry.api.responses import Health
from distillgov.registry.api.settings import RegistrySettings, settings_from_env
from distillgov.registry.api.state import AppState, app_state
from distillgov.registry.db import Database
from distillgov.registry.migrate import current_revision
from distillgov.registry.tlog.note import parse_signer
from distillgov.registry.web import routes as web_pages

DESCRIPTION = """The distillation registry of the proposed regime: protected models, distillation
notices classified by the law engine, compulsory licenses with a levy ledger, safe-harbor claims,
provenance look-ups and ML-BOMs. Every decision is appended to a public transparency log served as
C2SP tlog-tiles under /log/. Writes need an `Idempotency-Key` header; errors are RFC 9457 problems."""


class BodyLimit:
    """Refuses request bodies over a size limit (413) before anything parses them."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.limit):
            await self._refuse(scope, send)
            return
        seen = 0

        async def limited() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.limit:
                raise _TooLargeError
            return message

        try:
            await self.app(scope, limited, send)
        except _TooLargeError:
            await self._refuse(scope, send)

    async def _refuse(self, scope: Scope, send: Send) -> None:
        request = Request(scope)
        detail = f"request bodies are limited to {self.limit} bytes"
        response = problems.problem_response(request, 413, "too-large", "Request body too large", detail)
        await response(scope, _no_receive, send)


class _TooLargeError(Exception):
    pass


async def _no_receive() -> Message:
    return {"type": "http.disconnect"}


def create_app(settings: RegistrySettings) -> FastAPI:
    app = FastAPI(
        title="distillgov registry",
        version=__version__,
        description=DESCRIPTION,
        openapi_url="/openapi.json",
        responses=problems.documented_responses(),
    )
    database = Database(settings.database_url, pool_size=settings.pool_size)
    app.state.registry = AppState(
        db=database,
        clock=settings.clock,
        classifier=settings.classifier,
        signer=parse_signer(settings.log_signer_key),
        max_body_bytes=settings.max_body_bytes,
    )
    problems.install(app)
    for module in (
        routes_directory,
        routes_models,
        routes_notices,
        routes_licenses,
        routes_claims,
        routes_provenance,
        routes_log,
        web_pages,
    ):
        app.include_router(module.router)
    app.add_api_route(
        "/healthz",
        healthz,
        methods=["GET"],
        response_model=Health,
        openapi_extra=PUBLIC.openapi(),
        tags=["service"],
    )
    app.add_middleware(BodyLimit, limit=settings.max_body_bytes)
    app.router.add_event_handler("shutdown", database.dispose)
    return app


def healthz(request: Request, actor: Actor | None = Depends(PUBLIC.dependency)) -> Health:
    """Liveness and readiness: the database answers and its schema is migrated."""
    state = app_state(request)
    with state.db.read() as session:
        session.execute(sa.text("SELECT 1"))
        size = translog.tree_size(session)
    return Health(
        status="ok", database=state.db.backend, schema_revision=current_revision(state.db), log_size=size
    )


def app_from_env() -> FastAPI:
    """The factory uvicorn workers call (`registry serve --workers N`)."""
    return create_app(settings_from_env())


def routes(app: FastAPI) -> list[BaseRoute]:
    """Every route the app serves, with included routers flattened (FastAPI includes them lazily).

    The route-policy test and the fuzzing and load tools enumerate the API through this.
    """
    return [context.original_route for context in iter_route_contexts(app.routes)]


def api_routes(app: FastAPI) -> list[APIRoute]:
    return [route for route in routes(app) if isinstance(route, APIRoute)]
