"""The public look-up's fast path: answers cached per process and keyed on the log's tree size,
read outside a transaction, returned as ready JSON. A decision must be visible at once, in this
process and in any other serving the same database; the answer must equal the ORM path's."""

from __future__ import annotations

from datetime import date
from typing import Any

import psycopg
import pytest

from distillgov.registry.api.views import model_out
from distillgov.registry.models import ProtectedModel, Role

from . import scenario
from .harness import Harness


def _names(h: Harness, **params: Any) -> list[str]:
    return [m["name"] for m in h.ok(h.get("/v1/models", **params))]


def test_a_new_registration_is_visible_at_once_in_every_process(any_url: str) -> None:
    writer, reader = Harness(any_url), Harness(any_url)  # two API processes on one database
    try:
        owner = writer.user("Frontier Lab", Role.teacher_owner)
        first = writer.ok(writer.post("/v1/models", owner, scenario.protected_model("Alpha")), 201)["result"]
        digest = first["weights_digest"]
        for h in (writer, reader):  # fill both caches, twice: the second answer comes from the cache
            assert _names(h) == _names(h) == ["Alpha"]
            assert _names(h, digest=digest) == ["Alpha"]
            assert _names(h, name="Beta") == []
        writer.ok(writer.post("/v1/models", owner, scenario.protected_model("Beta")), 201)
        for h in (writer, reader):
            assert _names(h) == ["Alpha", "Beta"]
            assert _names(h, name="Beta") == ["Beta"]
            assert _names(h, digest=digest) == ["Alpha"]
    finally:
        writer.close()
        reader.close()


def test_the_fast_path_answers_exactly_what_the_orm_view_gives(registry: Harness) -> None:
    owner = registry.user("Frontier Lab", Role.teacher_owner)
    for name in ("Alpha", "Beta", "Gamma"):
        registry.ok(registry.post("/v1/models", owner, scenario.protected_model(name)), 201)
    served = registry.ok(registry.get("/v1/models", limit=2))
    with registry.state.db.read() as session:
        models = session.query(ProtectedModel).order_by(ProtectedModel.id).limit(2).all()
        expected = [model_out(m).model_dump(mode="json") for m in models]
    assert served == expected and len(served) == 2


def test_a_dropped_database_connection_is_replaced_without_an_error(pg_url: str) -> None:
    """No pre-ping: a connection the server dropped fails on use; the look-up retries once, other
    reads answer a retryable 503, and the next request has a fresh connection."""
    h = Harness(pg_url)
    try:
        owner = h.user("Frontier Lab", Role.teacher_owner)
        model = h.ok(h.post("/v1/models", owner, scenario.protected_model("Alpha")), 201)["result"]
        assert _names(h) == ["Alpha"]  # pooled connections now exist
        assert _terminate_backends(pg_url) >= 1
        assert _names(h) == ["Alpha"]
        _terminate_backends(pg_url)
        lost = h.get(f"/v1/models/{model['id']}")  # a read in a transaction: no retry, a 503
        assert lost.status_code == 503 and lost.headers["Retry-After"] == "1", lost.text
        assert h.ok(h.get(f"/v1/models/{model['id']}"))["name"] == "Alpha"
    finally:
        h.close()


def _terminate_backends(url: str) -> int:
    """End every other session on the database, as a restart or failover would."""
    with psycopg.connect(url, autocommit=True) as admin:
        ended = admin.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        ).fetchone()
    assert ended is not None
    return int(ended[0])


@pytest.mark.parametrize("limit", [0, 501])
def test_the_fast_path_still_validates_its_parameters(registry: Harness, limit: int) -> None:
    answer = registry.get("/v1/models", limit=limit)
    assert answer.status_code == 422 and answer.headers["content-type"] == "application/problem+json"


def test_a_license_decision_shows_in_the_provenance_look_up_at_once(registry: Harness) -> None:
    h = registry
    h.clock.set_date(date(2026, 1, 15))
    admin = h.user("Registry Office", Role.administrator)
    owner = h.user("Frontier Lab", Role.teacher_owner)
    licensee = h.user("CloneCorp", Role.distiller)
    model = h.ok(h.post("/v1/models", owner, scenario.protected_model()), 201)["result"]
    notice = h.ok(h.post("/v1/notices", licensee, scenario.clone_notice(model["id"], "Clone-1")), 201)

    def license_status() -> str | None:
        found = h.ok(h.get("/v1/provenance", name="Clone-1"))
        assert len(found) == 1 and found[0]["notice"]["id"] == notice["result"]["id"]
        return None if found[0]["license"] is None else str(found[0]["license"]["status"])

    assert license_status() == license_status() is None  # the second answer is the cached one
    lic = h.ok(h.post("/v1/licenses", licensee, {"notice_id": notice["result"]["id"]}), 201)["result"]
    assert license_status() == license_status() == "requested"
    h.ok(h.post(f"/v1/licenses/{lic['id']}/approve", admin, {}))
    assert license_status() == "active"
