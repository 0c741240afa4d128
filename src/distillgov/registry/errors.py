"""Domain errors: each knows its HTTP status and becomes an RFC 9457 problem at the API edge.

The library raises these (not HTTP exceptions) so that the CLI and tests get the same refusals as
the API, with the same field-level messages.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class FieldProblem:
    """One field that is wrong: its path in the request (e.g. `body.facts.teacher.access`) and why."""

    field: str
    message: str


class RegistryError(Exception):
    status = 400
    title = "Bad request"
    slug = "bad-request"

    def __init__(self, detail: str, problems: Sequence[FieldProblem] = ()) -> None:
        super().__init__(detail)
        self.detail = detail
        self.problems = tuple(problems)


class InvalidRequestError(RegistryError):
    status = 422
    title = "The request is not valid"
    slug = "invalid-request"


class NotAuthenticatedError(RegistryError):
    status = 401
    title = "Authentication required"
    slug = "not-authenticated"


class ForbiddenError(RegistryError):
    status = 403
    title = "Not allowed for this role or organization"
    slug = "forbidden"


class NotFoundError(RegistryError):
    status = 404
    title = "Not found"
    slug = "not-found"


class ConflictError(RegistryError):
    """The request is well-formed but the registry's state forbids it (e.g. the window has closed)."""

    status = 409
    title = "Conflicts with the registry's state"
    slug = "conflict"


class IdempotencyKeyMissingError(RegistryError):
    status = 428
    title = "Idempotency-Key header required"
    slug = "idempotency-key-required"


class IdempotencyKeyReusedError(RegistryError):
    status = 422
    title = "Idempotency-Key reused with a different request"
    slug = "idempotency-key-reused"
