"""Authorization policies, declared on every route and enforced before its handler runs.

Each route names one `Policy`: the roles that may call it (or the public), and in words which of
their organizations may touch which records. The roles are checked here; the organization scope is
checked by the service function the route calls, because only it has the record in hand. A test
enumerates the app's routes and fails on any route without a policy or whose policy is not what the
route actually enforces.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from distillgov.registry.actors import Actor, authenticate
from distillgov.registry.api import idempotency
from distillgov.registry.api.state import app_state
from distillgov.registry.errors import ForbiddenError, NotAuthenticatedError
from distillgov.registry.models import Role

IDEMPOTENCY_KEY_PARAMETER = {
    "name": idempotency.HEADER,
    "in": "header",
    "required": True,
    "description": "A unique string per intended write, reused on its retries: a retry replays the "
    "first answer (header Idempotent-Replayed: true) instead of writing twice. Missing: 428.",
    "schema": {"type": "string", "minLength": 1, "maxLength": idempotency.MAX_KEY, "pattern": "^[!-~]+$"},
}
bearer = HTTPBearer(auto_error=False, description="an API token from `distillgov registry admin token`")


@dataclass(frozen=True)
class Policy:
    roles: frozenset[Role] | None
    """Roles allowed; None: anyone, the public included."""
    scope: str
    """Which records of which organization (checked by the service function)."""

    def openapi(self, *, write: bool = False) -> dict[str, Any]:
        """The route's OpenAPI additions (FastAPI appends these lists to the ones it generates).

        A public route lists the empty requirement `{}` beside the bearer scheme: a token is
        optional there (a party may see more), not required. A write declares its Idempotency-Key.
        """
        roles = ["public"] if self.roles is None else sorted(r.value for r in self.roles)
        extra: dict[str, Any] = {"x-distillgov-auth": {"roles": roles, "scope": self.scope}}
        if self.roles is None:
            extra["security"] = [{}]
        if write:
            extra["parameters"] = [IDEMPOTENCY_KEY_PARAMETER]
        return extra

    @property
    def dependency(self) -> Callable[..., Actor | None]:
        return _dependency_for(self)


_DEPENDENCIES: dict[Policy, Callable[..., Actor | None]] = {}


def _dependency_for(policy: Policy) -> Callable[..., Actor | None]:
    if policy in _DEPENDENCIES:
        return _DEPENDENCIES[policy]

    def authorize(
        request: Request, credentials: HTTPAuthorizationCredentials | None = Depends(bearer)
    ) -> Actor | None:
        actor = _actor(request, credentials)
        if policy.roles is None:
            return actor
        if actor is None:
            raise NotAuthenticatedError("this route needs a bearer token (Authorization: Bearer dgr_...)")
        if actor.role not in policy.roles:
            allowed = ", ".join(sorted(r.value for r in policy.roles))
            raise ForbiddenError(f"role {actor.role.value} may not call this route; allowed: {allowed}")
        return actor

    authorize.policy = policy  # type: ignore[attr-defined]
    _DEPENDENCIES[policy] = authorize
    return authorize


def _actor(request: Request, credentials: HTTPAuthorizationCredentials | None) -> Actor | None:
    if credentials is None:
        if request.headers.get("authorization"):
            raise NotAuthenticatedError("the Authorization header must read 'Bearer <token>'")
        return None
    state = app_state(request)
    with state.db.read() as session:
        return authenticate(session, credentials.credentials, state.clock.now())


def roles(*allowed: Role, scope: str) -> Policy:
    return Policy(frozenset(allowed), scope)


PUBLIC = Policy(None, "anyone; the public view of the record")
PUBLIC_OR_PARTY = Policy(
    None, "anyone sees the public view; parties, auditors and administrators see details"
)
ANY_USER = roles(*Role, scope="the caller's own identity")
ADMIN = roles(Role.administrator, scope="the whole registry")
OVERSIGHT = roles(Role.administrator, Role.auditor, scope="the whole registry, read-only for auditors")
OWNER_WRITE = roles(Role.teacher_owner, scope="models of the caller's organization")
OWNER_RECORDS = roles(
    Role.teacher_owner,
    Role.auditor,
    Role.administrator,
    scope="the owner's organization, auditors, administrators",
)
DISTILLER_WRITE = roles(Role.distiller, scope="notices, licenses and claims of the caller's organization")
PAYMENT_WRITE = roles(
    Role.distiller,
    Role.administrator,
    scope="the licensee's organization, or an administrator recording receipt",
)
PARTIES = roles(
    Role.distiller,
    Role.teacher_owner,
    Role.auditor,
    Role.administrator,
    scope="the licensee's or filer's organization, the teacher's owner, auditors, administrators",
)
