"""RFC 9457 problem details for every error the API returns, with field-level messages.

`type` is a URN per problem kind (not dereferenceable, as the RFC allows); `errors` lists each
field that was wrong, by its location in the request (`body.facts.teacher.access`, `query.limit`,
`header.Idempotency-Key`) and what to do about it.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException

from distillgov.registry.errors import FieldProblem, RegistryError

MEDIA_TYPE = "application/problem+json"
log = logging.getLogger(__name__)


class FieldError(BaseModel):
    field: str
    message: str


class Problem(BaseModel):
    """An RFC 9457 problem details object."""

    model_config = ConfigDict(extra="forbid")

    type: str = Field(description="URI identifying the problem kind")
    title: str
    status: int
    detail: str
    instance: str = Field(description="the request path")
    errors: list[FieldError] = []


ERRORS_DOCUMENTED = {
    401: "No bearer token where one is needed, or an unknown, revoked or malformed one",
    403: "The caller's role or organization may not do this",
    404: "No such record, or not visible to the caller",
    409: "Conflicts with the registry's state (e.g. the licensing window has closed)",
    413: "Request body too large",
    422: "Invalid request: `errors` names each field and what is wrong with it",
    428: "A write without an Idempotency-Key header",
    503: "The database connection was lost (a restart or failover): retry after `Retry-After` seconds",
}


def documented_responses() -> dict[int | str, dict[str, Any]]:
    """Every error answer as an RFC 9457 problem in the OpenAPI document, on every operation."""
    schema = {"$ref": "#/components/schemas/Problem"}
    return {
        status: {"model": Problem, "description": text, "content": {MEDIA_TYPE: {"schema": schema}}}
        for status, text in ERRORS_DOCUMENTED.items()
    }


def problem_response(
    request: Request,
    status: int,
    slug: str,
    title: str,
    detail: str,
    errors: Sequence[FieldProblem] = (),
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body = Problem(
        type=f"urn:distillgov:registry:problem:{slug}",
        title=title,
        status=status,
        detail=detail,
        instance=request.url.path,
        errors=[FieldError(field=e.field, message=e.message) for e in errors],
    )
    return JSONResponse(body.model_dump(), status_code=status, media_type=MEDIA_TYPE, headers=headers)


def _location(loc: Sequence[Any]) -> str:
    return ".".join(str(part) for part in loc) or "body"


async def _registry_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RegistryError)
    headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
    return problem_response(request, exc.status, exc.slug, exc.title, exc.detail, exc.problems, headers)


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [FieldProblem(_location(e.get("loc", ())), str(e.get("msg", "invalid"))) for e in exc.errors()]
    detail = f"{len(errors)} field(s) are not valid; see errors"
    return problem_response(request, 422, "invalid-request", "The request is not valid", detail, errors)


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    slug = {404: "not-found", 405: "method-not-allowed", 413: "too-large"}.get(exc.status_code, "http-error")
    return problem_response(
        request, exc.status_code, slug, str(exc.detail), str(exc.detail), headers=dict(exc.headers or {})
    )


async def _database_error(request: Request, exc: Exception) -> JSONResponse:
    """A connection the database dropped is a retryable outage, not a bug: the pool does not pre-ping
    (a round trip per request), so the first request on such a connection meets the error; by then
    SQLAlchemy has replaced the pool's older connections and a retry succeeds."""
    assert isinstance(exc, sa.exc.DBAPIError)
    if not exc.connection_invalidated:
        return await _unexpected(request, exc)
    log.warning("database connection lost on %s %s: %s", request.method, request.url.path, exc.orig)
    detail = (
        "the connection to the database was lost; retry the request "
        "(a write retried with the same Idempotency-Key is never applied twice)"
    )
    return problem_response(
        request, 503, "database-unavailable", "Database connection lost", detail, headers={"Retry-After": "1"}
    )


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    detail = "the registry failed to handle this request; nothing was written"
    return problem_response(request, 500, "internal-error", "Internal error", detail)


def install(app: FastAPI) -> None:
    app.add_exception_handler(RegistryError, _registry_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(sa.exc.DBAPIError, _database_error)
    app.add_exception_handler(Exception, _unexpected)
