"""A registry with one active compulsory license, the starting point of the ledger's tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from distillgov.registry.models import Role

from . import scenario
from .harness import Harness


@dataclass
class Licensed:
    h: Harness
    admin: str
    owner: str
    licensee: str
    license_id: int
    notice_id: int


def licensed(h: Harness) -> Licensed:
    h.clock.set_date(date(2026, 1, 15))
    admin = h.user("Registry Office", Role.administrator)
    owner = h.user("Frontier Lab", Role.teacher_owner)
    licensee = h.user("CloneCorp", Role.distiller)
    model = h.ok(h.post("/v1/models", owner, scenario.protected_model()), 201)["result"]
    notice = h.ok(h.post("/v1/notices", licensee, scenario.clone_notice(model["id"])), 201)["result"]
    lic = h.ok(h.post("/v1/licenses", licensee, {"notice_id": notice["id"]}), 201)["result"]
    h.ok(h.post(f"/v1/licenses/{lic['id']}/approve", admin, {}))
    return Licensed(h, admin, owner, licensee, lic["id"], notice["id"])
