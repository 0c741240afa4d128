"""The objects one API process shares between requests."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from threading import Lock

from fastapi import Request

from distillgov.registry.actors import Actor
from distillgov.registry.api.public_reads import PublicReads
from distillgov.registry.classifier import Classifier
from distillgov.registry.clock import Clock
from distillgov.registry.db import Database
from distillgov.registry.service.context import Context
from distillgov.registry.tlog.note import Signer


@dataclass
class AppState:
    db: Database
    clock: Clock
    classifier: Classifier
    signer: Signer
    max_body_bytes: int
    signed_checkpoints: dict[int, str] = field(default_factory=dict)
    checkpoint_lock: Lock = field(default_factory=Lock)
    public: PublicReads = field(init=False)

    def __post_init__(self) -> None:
        self.public = PublicReads(self.db, self.reading)

    @contextmanager
    def reading(self, actor: Actor | None) -> Iterator[Context]:
        with self.db.read() as session:
            yield Context(session, actor, self.clock, self.classifier)


def app_state(request: Request) -> AppState:
    state: AppState = request.app.state.registry
    return state
