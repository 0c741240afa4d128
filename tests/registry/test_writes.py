"""Writes: Idempotency-Key replays, refusals as RFC 9457 problems with field-level messages, and
nothing half-written when a request is refused."""

from __future__ import annotations

from datetime import date
from typing import Any

from distillgov.registry import translog
from distillgov.registry.models import Role

from . import scenario
from .harness import Harness
from .licensed import licensed


def _log_size(h: Harness) -> int:
    with h.state.db.read() as session:
        return translog.tree_size(session)


def test_a_retried_payment_is_counted_once(registry: Harness) -> None:
    world = licensed(registry)
    h, path = registry, f"/v1/licenses/{world.license_id}/payments"
    body = {"amount_minor": 10_000, "currency": "USD", "reference": "wire 7"}
    first = h.post(path, world.licensee, body, key="pay-7")
    size = _log_size(h)
    again = h.post(path, world.licensee, body, key="pay-7")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again.headers["Idempotent-Replayed"] == "true"
    assert _log_size(h) == size
    ledger = h.ok(h.get(f"/v1/licenses/{world.license_id}/ledger", world.licensee))
    assert len(ledger["payments"]) == 1 and ledger["balance_minor"] == -10_000


def test_same_key_different_body_is_refused(registry: Harness) -> None:
    world = licensed(registry)
    h, path = registry, f"/v1/licenses/{world.license_id}/payments"
    h.ok(h.post(path, world.licensee, {"amount_minor": 1, "currency": "USD", "reference": "a"}, key="k"), 201)
    refused = h.post(path, world.licensee, {"amount_minor": 2, "currency": "USD", "reference": "a"}, key="k")
    assert refused.status_code == 422
    problem = refused.json()
    assert problem["type"].endswith("idempotency-key-reused")
    assert problem["errors"][0]["field"] == "header.Idempotency-Key"


def test_every_write_needs_a_key(registry: Harness) -> None:
    owner = registry.user("Frontier Lab", Role.teacher_owner)
    refused = registry.post("/v1/models", owner, scenario.protected_model(), key=None)
    assert refused.status_code == 428
    assert refused.headers["content-type"] == "application/problem+json"
    assert registry.ok(registry.get("/v1/models")) == []


def test_unknown_fields_and_bad_values_are_named(registry: Harness) -> None:
    owner = registry.user("Frontier Lab", Role.teacher_owner)
    body: dict[str, Any] = scenario.protected_model() | {"colour": "blue", "access_mode": "telepathy"}
    body["trade_secret"]["investment"]["amount_minor"] = 1.5
    refused = registry.post("/v1/models", owner, body)
    assert refused.status_code == 422
    fields = {e["field"] for e in refused.json()["errors"]}
    assert {"body.colour", "body.access_mode", "body.trade_secret.investment.amount_minor"} <= fields
    assert _log_size(registry) == 2  # the organization and the user, nothing from the refused request


def test_contradicting_the_registry_or_the_vocabulary_is_refused_whole(registry: Harness) -> None:
    h = registry
    owner = h.user("Frontier Lab", Role.teacher_owner)
    distiller = h.user("CloneCorp", Role.distiller)
    model = h.ok(h.post("/v1/models", owner, scenario.protected_model()), 201)["result"]
    size = _log_size(h)
    notice = scenario.clone_notice(model["id"])
    notice["facts"] = notice["facts"] | {"teacher": {"access": "open_weights"}, "conduct": {"method": "api"}}
    refused = h.post("/v1/notices", distiller, notice)
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "body.facts.teacher.access"
    notice["facts"].pop("teacher")
    refused = h.post("/v1/notices", distiller, notice)
    assert refused.status_code == 422
    [error] = refused.json()["errors"]
    assert error["field"] == "body.facts.conduct.method" and "api_queries" in error["message"]
    assert _log_size(h) == size
    assert h.ok(h.get("/v1/notices", distiller)) == []


def test_oversized_and_malformed_bodies(registry: Harness) -> None:
    owner = registry.user("Frontier Lab", Role.teacher_owner)
    huge = scenario.protected_model() | {"name": "x" * 300_000}
    assert registry.post("/v1/models", owner, huge).status_code == 413
    broken = registry.client.post(
        "/v1/models",
        content=b"{not json",
        headers={
            "Authorization": f"Bearer {owner}",
            "Idempotency-Key": "b",
            "Content-Type": "application/json",
        },
    )
    assert broken.status_code == 422 and broken.json()["errors"]


def test_license_only_for_eligible_cloning_inside_the_window(registry: Harness) -> None:
    h = registry
    h.clock.set_date(date(2026, 1, 15))
    owner = h.user("Frontier Lab", Role.teacher_owner)
    distiller = h.user("University Lab", Role.distiller)
    model = h.ok(h.post("/v1/models", owner, scenario.protected_model()), 201)["result"]
    study = h.ok(h.post("/v1/notices", distiller, scenario.research_notice(model["id"])), 201)["result"]
    refused = h.post("/v1/licenses", distiller, {"notice_id": study["id"]})
    assert refused.status_code == 409 and "direct commercial cloning" in refused.json()["detail"]
    cloner = h.user("CloneCorp", Role.distiller)
    clone = h.ok(h.post("/v1/notices", cloner, scenario.clone_notice(model["id"])), 201)["result"]
    h.clock.set_date(date(2026, 6, 1))  # the window (12 months, UNSOURCED) ends on 2026-06-01, exclusive
    late = h.post("/v1/licenses", cloner, {"notice_id": clone["id"]})
    assert late.status_code == 409 and "2026-06-01" in late.json()["detail"]


def test_a_distiller_cannot_approve_or_read_another_licensees_ledger(registry: Harness) -> None:
    world = licensed(registry)
    rival = registry.user("Rival", Role.distiller)
    assert registry.get(f"/v1/licenses/{world.license_id}/ledger", rival).status_code == 404
    body = {"period": "2026-01", "base_amount_minor": 1, "currency": "USD"}
    assert registry.post(f"/v1/licenses/{world.license_id}/reports", rival, body).status_code == 403
    assert registry.post(f"/v1/licenses/{world.license_id}/approve", world.licensee, {}).status_code == 403
