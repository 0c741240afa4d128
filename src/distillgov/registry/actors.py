"""Who is asking: an authenticated user of an organization with one role, or the public.

API tokens are random 256-bit strings shown once; the registry keeps only their sha256, which is
enough to look a token up (its entropy makes a slow hash unnecessary) and useless to an attacker
who reads the database.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from distillgov.registry.errors import NotAuthenticatedError
from distillgov.registry.models import ApiToken, Role

TOKEN_PREFIX = "dgr_"


@dataclass(frozen=True)
class Actor:
    """An authenticated caller; `None` stands for the public wherever an `Actor | None` is taken."""

    user_id: int
    organization_id: int
    role: Role

    def is_(self, *roles: Role) -> bool:
        return self.role in roles


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_sha256(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def authenticate(session: Session, token: str, now: datetime) -> Actor:
    """The actor a bearer token belongs to; refuses unknown and revoked tokens alike."""
    return authenticate_digest(session, token_sha256(token), now)


def authenticate_digest(session: Session, digest: str, now: datetime) -> Actor:
    """The actor of the token with this sha256: what a browser session keeps instead of the token."""
    found = session.scalar(sa.select(ApiToken).where(ApiToken.token_sha256 == digest))
    if found is None or (found.revoked_at is not None and found.revoked_at <= now):
        raise NotAuthenticatedError(
            "the bearer token is unknown or revoked; ask an administrator for a token"
        )
    return Actor(found.user_id, found.user.organization_id, Role(found.user.role))
