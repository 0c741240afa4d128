"""The library of real terms-of-service clauses against building models from outputs.

Kept as data so that a clause's provider, wording, date and the state of its verification travel
with every conclusion that relies on it; a memo can then quote the clause instead of describing it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib import resources
from typing import Any

import yaml


@dataclass(frozen=True)
class Clause:
    """One clause as published by its provider."""

    id: str
    provider: str
    document: str
    section: str
    date: date | None
    date_basis: str
    wording: str
    wording_verified: str
    url: str
    assent: str
    prohibits_competing_models: bool
    prohibits_distillation: bool
    assigns_output_ownership_to_user: bool

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "provider": self.provider,
            "document": self.document,
            "section": self.section,
            "date": self.date.isoformat() if self.date else None,
            "date_basis": self.date_basis,
            "wording": self.wording,
            "wording_verified": self.wording_verified,
            "url": self.url,
        }


@cache
def clauses() -> dict[str, Clause]:
    """All clauses of the library, by id."""
    text = resources.files("distillgov.law").joinpath("rulebooks/tos_clauses.yaml").read_text("utf-8")
    raw = yaml.safe_load(text)["clauses"]
    return {key: Clause(id=key, **value) for key, value in raw.items()}
