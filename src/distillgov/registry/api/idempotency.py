"""Every write carries an Idempotency-Key; a retry with the same key replays the first answer.

The key, a fingerprint of the request (method, path, canonical body) and the response are stored in
the same sequenced transaction as the write itself, so a retried payment or report is never counted
twice, even when the retry races the original: the second transaction starts only after the first
has committed, finds the key, and replays. The same key with a different request is refused (422).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from distillgov.registry.actors import Actor
from distillgov.registry.api.state import app_state
from distillgov.registry.errors import (
    FieldProblem,
    IdempotencyKeyMissingError,
    IdempotencyKeyReusedError,
    InvalidRequestError,
)
from distillgov.registry.models import IdempotencyRecord
from distillgov.registry.service.context import Context
from distillgov.registry.tlog.entries import canonical_entry

HEADER = "Idempotency-Key"
MAX_KEY = 255
REPLAYED_HEADER = "Idempotent-Replayed"


def fingerprint(request: Request, body: BaseModel | None) -> str:
    payload = {
        "method": request.method,
        "path": request.url.path,
        "body": None if body is None else body.model_dump(mode="json"),
    }
    return hashlib.sha256(canonical_entry(payload)).hexdigest()


def idempotency_key(request: Request) -> str:
    key = request.headers.get(HEADER)
    if not key:
        raise IdempotencyKeyMissingError(
            f"every write needs an {HEADER} header (a unique string per intended write, reused on retries)",
            [FieldProblem(f"header.{HEADER}", "required")],
        )
    if len(key) > MAX_KEY or not key.isprintable():
        raise InvalidRequestError(
            f"{HEADER} must be 1..{MAX_KEY} printable characters",
            [FieldProblem(f"header.{HEADER}", f"1..{MAX_KEY} printable characters")],
        )
    return key


def run_write(
    request: Request,
    actor: Actor,
    body: BaseModel | None,
    operation: Callable[[Context], BaseModel],
    status_code: int = 201,
    redact: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
    key: str | None = None,
) -> JSONResponse:
    """Run `operation` once per (user, key); replay its stored response on every retry.

    `redact` removes secrets (a new API token) from the stored copy: a replay never shows them again.
    `key` is for callers whose key is not a header (a form's hidden field); it defaults to the header.
    """
    key = key or idempotency_key(request)
    print_ = fingerprint(request, body)
    state = app_state(request)
    with state.db.write() as session:
        stored = session.get(IdempotencyRecord, (actor.user_id, key))
        if stored is not None:
            if stored.fingerprint != print_:
                raise IdempotencyKeyReusedError(
                    f"{HEADER} {key!r} was used for a different request; use a new key for a new write",
                    [FieldProblem(f"header.{HEADER}", "already used with a different method, path or body")],
                )
            return JSONResponse(stored.response, stored.status_code, headers={REPLAYED_HEADER: "true"})
        ctx = Context(session, actor, state.clock, state.classifier)
        result = operation(ctx)
        response = {
            "result": result.model_dump(mode="json"),
            "log_entries": [{"index": a.index, "kind": a.kind, "subject": a.subject} for a in ctx.appended],
        }
        session.add(
            IdempotencyRecord(
                user_id=actor.user_id,
                key=key,
                fingerprint=print_,
                status_code=status_code,
                response=redact(response) if redact else response,
                created_at=state.clock.now(),
            )
        )
    return JSONResponse(response, status_code)
