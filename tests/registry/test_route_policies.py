"""Every route of the app has a declared authorization policy, and every route enforces it.

The table below names, for each route, who must get past authorization; everyone else (the public,
other roles, other organizations) must be refused. A route added without a row fails the test.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from fastapi.routing import APIRoute

from distillgov.registry.api import app as app_module
from distillgov.registry.models import Role

from . import scenario
from .harness import Harness

ACTORS = ("public", "owner_a", "owner_b", "distiller_a", "distiller_b", "auditor", "admin")
EVERYONE = set(ACTORS)
USERS = EVERYONE - {"public"}
DOC_ROUTES = {"/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc"}


@dataclass
class World:
    h: Harness
    tokens: dict[str, str | None]
    ids: dict[str, Any]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    from distillgov.registry.db import Database
    from distillgov.registry.migrate import upgrade

    path = tmp_path_factory.mktemp("policies") / "registry.sqlite3"
    database = Database(f"sqlite:///{path}")
    upgrade(database)
    database.dispose()
    h = Harness(f"sqlite:///{path}")
    h.clock.set_date(date(2026, 1, 15))
    roles = {
        "owner_a": ("Lab A", Role.teacher_owner),
        "owner_b": ("Lab B", Role.teacher_owner),
        "distiller_a": ("Distiller A", Role.distiller),
        "distiller_b": ("Distiller B", Role.distiller),
        "auditor": ("Audit Office", Role.auditor),
        "admin": ("Registry Office", Role.administrator),
    }
    tokens: dict[str, str | None] = {"public": None}
    tokens |= {name: h.user(org, role) for name, (org, role) in roles.items()}
    model = h.ok(h.post("/v1/models", tokens["owner_a"], scenario.protected_model()), 201)["result"]
    clone = h.ok(h.post("/v1/notices", tokens["distiller_a"], scenario.clone_notice(model["id"])), 201)[
        "result"
    ]
    clone2 = h.ok(
        h.post("/v1/notices", tokens["distiller_a"], scenario.clone_notice(model["id"], "Clone-2")), 201
    )
    study = h.ok(h.post("/v1/notices", tokens["distiller_a"], scenario.research_notice(model["id"])), 201)[
        "result"
    ]
    active = h.ok(h.post("/v1/licenses", tokens["distiller_a"], {"notice_id": clone["id"]}), 201)["result"]
    h.ok(h.post(f"/v1/licenses/{active['id']}/approve", tokens["admin"], {}))
    pending = h.ok(h.post("/v1/licenses", tokens["distiller_a"], {"notice_id": clone2["result"]["id"]}), 201)
    claim = h.ok(
        h.post(
            "/v1/claims", tokens["distiller_a"], {"notice_id": study["id"], "harbor": "reverse_engineering"}
        ),
        201,
    )
    with h.system() as ctx:
        from distillgov.registry.service import directory

        spare = directory.issue_token(ctx, 1, "spare")[0].id
    h.clock.set_date(date(2026, 2, 2))
    ids = {
        "model": model["id"],
        "notice": clone["id"],
        "study": study["id"],
        "license": active["id"],
        "pending": pending["result"]["id"],
        "claim": claim["result"]["id"],
        "token": spare,
        "org": 1,
    }
    yield World(h, tokens, ids)
    h.close()


Body = Callable[[dict[str, Any]], Any]


@dataclass(frozen=True)
class Case:
    path: str
    allowed: frozenset[str]
    body: Body | None = None


def case(path: str, allowed: set[str], body: Body | None = None) -> Case:
    return Case(path, frozenset(allowed), body)


PARTIES_OF_A = {"distiller_a", "owner_a", "auditor", "admin"}
CASES: dict[tuple[str, str], Case] = {
    ("GET", "/healthz"): case("/healthz", EVERYONE),
    ("GET", "/v1/me"): case("/v1/me", USERS),
    ("POST", "/v1/admin/organizations"): case(
        "/v1/admin/organizations", {"admin"}, lambda i: {"name": "New Org"}
    ),
    ("GET", "/v1/admin/organizations"): case("/v1/admin/organizations", {"admin", "auditor"}),
    ("POST", "/v1/admin/users"): case(
        "/v1/admin/users",
        {"admin"},
        lambda i: {"organization_id": i["org"], "name": "new user", "role": "auditor"},
    ),
    ("GET", "/v1/admin/users"): case("/v1/admin/users", {"admin", "auditor"}),
    ("POST", "/v1/admin/tokens"): case("/v1/admin/tokens", {"admin"}, lambda i: {"user_id": 1}),
    ("POST", "/v1/admin/tokens/{token_id}/revoke"): case("/v1/admin/tokens/{token}/revoke", {"admin"}),
    ("POST", "/v1/admin/sweep"): case("/v1/admin/sweep", {"admin"}),
    ("POST", "/v1/models"): case(
        "/v1/models", {"owner_a", "owner_b"}, lambda i: scenario.protected_model("Other")
    ),
    ("GET", "/v1/models"): case("/v1/models", EVERYONE),
    ("GET", "/v1/models/{model_id}"): case("/v1/models/{model}", EVERYONE),
    ("GET", "/v1/models/{model_id}/trade-secret"): case(
        "/v1/models/{model}/trade-secret", {"owner_a", "auditor", "admin"}
    ),
    ("POST", "/v1/notices"): case(
        "/v1/notices", {"distiller_a", "distiller_b"}, lambda i: scenario.research_notice(i["model"], "S2")
    ),
    ("GET", "/v1/notices"): case("/v1/notices", USERS),
    ("GET", "/v1/notices/{notice_id}"): case("/v1/notices/{notice}", EVERYONE),
    ("POST", "/v1/licenses"): case("/v1/licenses", {"distiller_a"}, lambda i: {"notice_id": i["notice"]}),
    ("GET", "/v1/licenses/{license_id}"): case("/v1/licenses/{license}", EVERYONE),
    ("POST", "/v1/licenses/{license_id}/approve"): case(
        "/v1/licenses/{pending}/approve", {"admin"}, lambda i: {}
    ),
    ("POST", "/v1/licenses/{license_id}/reject"): case(
        "/v1/licenses/{pending}/reject", {"admin"}, lambda i: {}
    ),
    ("GET", "/v1/licenses/{license_id}/ledger"): case("/v1/licenses/{license}/ledger", PARTIES_OF_A),
    ("POST", "/v1/licenses/{license_id}/reports"): case(
        "/v1/licenses/{license}/reports",
        {"distiller_a"},
        lambda i: {"period": "2026-01", "base_amount_minor": 100, "currency": "USD"},
    ),
    ("POST", "/v1/licenses/{license_id}/payments"): case(
        "/v1/licenses/{license}/payments",
        {"distiller_a", "admin"},
        lambda i: {"amount_minor": 5, "currency": "USD", "reference": "r"},
    ),
    ("GET", "/v1/licenses/{license_id}/history"): case("/v1/licenses/{license}/history", EVERYONE),
    ("POST", "/v1/claims"): case(
        "/v1/claims",
        {"distiller_a"},
        lambda i: {"notice_id": i["study"], "harbor": "non_commercial_research"},
    ),
    ("GET", "/v1/claims/{claim_id}"): case("/v1/claims/{claim}", EVERYONE),
    ("POST", "/v1/claims/{claim_id}/conditions/{kind}"): case(
        "/v1/claims/{claim}/conditions/privacy", {"distiller_a"}, lambda i: {"statement": "attested"}
    ),
    ("GET", "/v1/claims/{claim_id}/history"): case("/v1/claims/{claim}/history", EVERYONE),
    ("GET", "/v1/provenance"): case("/v1/provenance?name=Clone-1", EVERYONE),
    ("GET", "/v1/provenance/{notice_id}/mlbom"): case("/v1/provenance/{notice}/mlbom", EVERYONE),
    ("GET", "/log/checkpoint"): case("/log/checkpoint", EVERYONE),
    ("GET", "/log/vkey"): case("/log/vkey", EVERYONE),
    ("GET", "/log/tile/{tile_path:path}"): case("/log/tile/0/000.p/1", EVERYONE),
    ("GET", "/v1/log/entries/{index}"): case("/v1/log/entries/0", EVERYONE),
}


def api_routes(world: World) -> list[APIRoute]:
    return app_module.api_routes(world.h.app)


def bearer_routes(world: World) -> list[APIRoute]:
    """The API proper; the HTML pages (cookie sessions, refusals as redirects or error pages) declare
    and enforce policies too (checked above) and are driven through a browser in test_pages_browser."""
    return [r for r in api_routes(world) if r.include_in_schema]


def test_every_route_declares_the_policy_it_enforces(world: World) -> None:
    for route in api_routes(world):
        declared = (route.openapi_extra or {}).get("x-distillgov-auth")
        assert declared is not None, f"{route.path} declares no x-distillgov-auth policy"
        enforced = [d.call.policy for d in route.dependant.dependencies if hasattr(d.call, "policy")]
        assert len(enforced) == 1, f"{route.path} enforces {len(enforced)} policies"
        assert enforced[0].openapi()["x-distillgov-auth"] == declared, route.path
    others = {getattr(r, "path", "") for r in app_module.routes(world.h.app) if not isinstance(r, APIRoute)}
    assert others <= DOC_ROUTES, f"routes outside the policy system: {others - DOC_ROUTES}"


def test_the_document_declares_optional_auth_on_public_routes_and_keys_on_writes(world: World) -> None:
    """What a generated client or a fuzzer reads: a public route takes a token but needs none; every
    write needs an Idempotency-Key (and is refused with 428 without one, as test_writes shows)."""
    document = world.h.app.openapi()
    for route in bearer_routes(world):
        public = route.openapi_extra["x-distillgov-auth"]["roles"] == ["public"]  # type: ignore[index]
        for method in route.methods:
            operation = document["paths"][route.path_format][method.lower()]
            assert {"HTTPBearer": []} in operation["security"], (method, route.path)
            assert ({} in operation["security"]) == public, (method, route.path)
            keys = [p for p in operation.get("parameters", []) if p["name"] == "Idempotency-Key"]
            if method == "POST":
                assert len(keys) == 1 and keys[0]["in"] == "header" and keys[0]["required"], route.path
            else:
                assert keys == [], (method, route.path)


def test_the_table_covers_every_route(world: World) -> None:
    routes = {(method, r.path) for r in bearer_routes(world) for method in r.methods}
    assert routes == set(CASES), f"missing: {routes - set(CASES)}; stale: {set(CASES) - routes}"


def test_the_table_agrees_with_the_declared_roles(world: World) -> None:
    role_of = {
        "owner_a": "teacher_owner",
        "owner_b": "teacher_owner",
        "distiller_a": "distiller",
        "distiller_b": "distiller",
        "auditor": "auditor",
        "admin": "administrator",
    }
    for route in bearer_routes(world):
        declared = route.openapi_extra["x-distillgov-auth"]["roles"]  # type: ignore[index]
        for method in route.methods:
            for actor in CASES[(method, route.path)].allowed:
                assert "public" in declared or role_of.get(actor) in declared, (method, route.path, actor)


@pytest.mark.parametrize("route", sorted(CASES), ids=lambda r: f"{r[0]} {r[1]}")
def test_route_admits_exactly_its_parties(world: World, route: tuple[str, str]) -> None:
    method, _ = route
    spec = CASES[route]
    path = spec.path.format(**world.ids)
    # Refused callers first: a refusal must not change anything an admitted caller then sees.
    for actor in sorted(ACTORS, key=lambda a: a in spec.allowed):
        token = world.tokens[actor]
        if method == "GET":
            response = world.h.get(path, token)
        else:
            body = spec.body(world.ids) if spec.body else None
            response = world.h.post(path, token, body)
        status = response.status_code
        if actor in spec.allowed:
            assert status < 400 or status in (409, 422), (
                f"{actor} refused on {method} {path}: {response.text}"
            )
        elif actor == "public":
            assert status == 401, f"public got {status} on {method} {path}"
        else:
            assert status in (403, 404), f"{actor} got {status} on {method} {path}: {response.text}"
            assert response.headers["content-type"] == "application/problem+json"


def test_what_each_party_sees_of_a_notice(world: World) -> None:
    h, t, notice = world.h, world.tokens, world.ids["notice"]
    for actor, sees_details in [
        ("public", False),
        ("distiller_b", False),
        ("owner_b", False),
        ("distiller_a", True),
        ("owner_a", True),
        ("auditor", True),
        ("admin", True),
    ]:
        body = h.ok(h.get(f"/v1/notices/{notice}", t[actor]))
        assert (body["details"] is not None) == sees_details, actor
    assert {n["distiller"]["name"] for n in h.ok(h.get("/v1/notices", t["distiller_b"]))} <= {"Distiller B"}
    assert h.ok(h.get("/v1/notices", t["owner_b"])) == []
    assert {n["id"] for n in h.ok(h.get("/v1/notices", t["owner_a"]))} >= {notice, world.ids["study"]}


def test_a_revoked_or_forged_token_is_refused(world: World) -> None:
    h = world.h
    assert h.get("/v1/me", "dgr_forged").status_code == 401
    assert h.client.get("/v1/me", headers={"Authorization": "Basic abc"}).status_code == 401
    assert (
        h.get("/v1/models", "dgr_forged").status_code == 401
    )  # a bad token is refused even where none is needed
