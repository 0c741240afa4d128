"""What every registry operation is given: the transaction, who asks, the clock and the classifier."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from distillgov.registry import translog
from distillgov.registry.actors import Actor
from distillgov.registry.classifier import Classifier
from distillgov.registry.clock import Clock
from distillgov.registry.errors import ForbiddenError, NotAuthenticatedError
from distillgov.registry.models import Role

SYSTEM = Actor(user_id=0, organization_id=0, role=Role.administrator)
"""The operator at the server's console (`distillgov registry admin ...`): local database access."""


@dataclass
class Context:
    session: Session
    actor: Actor | None
    clock: Clock
    classifier: Classifier
    appended: list[translog.Appended] = field(default_factory=list)

    def now(self) -> datetime:
        return self.clock.now()

    def today(self) -> date:
        return self.clock.now().date()

    def record(self, kind: str, subject: str, body: Mapping[str, Any]) -> translog.Appended:
        """Append a decision to the log in this transaction."""
        done = translog.append(self.session, kind, subject, self.now(), body)
        self.appended.append(done)
        return done

    def require(self, *roles: Role) -> Actor:
        """The actor, if it holds one of `roles`; the public and other roles are refused."""
        if self.actor is None:
            raise NotAuthenticatedError("this action needs a bearer token (Authorization: Bearer dgr_...)")
        if self.actor.role not in roles:
            allowed = ", ".join(role.value for role in roles)
            raise ForbiddenError(f"role {self.actor.role.value} may not do this; allowed roles: {allowed}")
        return self.actor

    def is_privileged(self) -> bool:
        """Auditors and administrators see every record (their oversight is the regime's)."""
        return self.actor is not None and self.actor.role in (Role.auditor, Role.administrator)

    def in_org(self, *organization_ids: int) -> bool:
        return self.actor is not None and self.actor.organization_id in organization_ids
