"""Property-based fuzzing of the whole API from its own OpenAPI document (Schemathesis).

Every operation is called with generated requests (valid and invalid), authenticated as a caller
its declared policy admits, with a fresh Idempotency-Key on writes, against a registry holding a
model, notices, a license and a claim, so that ids in paths often name real records. The checks:
no 5xx, and every response (status code, content type, headers, body) is what the document says.
Examples are bounded so the whole run stays within a minute on two cores.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import APIOperation, BaseSchema, checks
from schemathesis.specs.openapi import checks as openapi_checks

from distillgov.registry.api.app import create_app
from distillgov.registry.api.settings import RegistrySettings
from distillgov.registry.models import Role
from distillgov.registry.tlog.note import generate_signer

from . import scenario
from .harness import Harness

pytestmark = pytest.mark.slow

EXAMPLES_PER_OPERATION = int(os.environ.get("DISTILLGOV_FUZZ_EXAMPLES", "12"))  # bounded: CI time
CHECKS = [
    checks.not_a_server_error,
    openapi_checks.status_code_conformance,
    openapi_checks.content_type_conformance,
    openapi_checks.response_headers_conformance,
    openapi_checks.response_schema_conformance,
    openapi_checks.ignored_auth,  # public routes declare the token optional, the others required
]
ROLE_TOKENS = ("administrator", "teacher_owner", "distiller", "auditor")


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Iterator[Harness]:
    database = tmp_path_factory.mktemp("fuzz") / "registry.sqlite3"
    database.write_bytes(sqlite_template.read_bytes())
    h = Harness(f"sqlite:///{database}")
    h.clock.set_date(date(2026, 1, 15))
    tokens = {
        "administrator": h.user("Registry Office", Role.administrator),
        "teacher_owner": h.user("Frontier Lab", Role.teacher_owner),
        "distiller": h.user("CloneCorp", Role.distiller),
        "auditor": h.user("Audit Office", Role.auditor),
    }
    model = h.ok(h.post("/v1/models", tokens["teacher_owner"], scenario.protected_model()), 201)["result"]
    clone = h.ok(h.post("/v1/notices", tokens["distiller"], scenario.clone_notice(model["id"])), 201)[
        "result"
    ]
    study = h.ok(h.post("/v1/notices", tokens["distiller"], scenario.research_notice(model["id"])), 201)[
        "result"
    ]
    lic = h.ok(h.post("/v1/licenses", tokens["distiller"], {"notice_id": clone["id"]}), 201)["result"]
    h.ok(h.post(f"/v1/licenses/{lic['id']}/approve", tokens["administrator"], {}))
    h.ok(
        h.post(
            "/v1/claims", tokens["distiller"], {"notice_id": study["id"], "harbor": "reverse_engineering"}
        ),
        201,
    )
    h.clock.set_date(date(2026, 2, 3))
    h.app.state.fuzz_tokens = tokens
    yield h
    h.close()


def _operations() -> list[str]:
    """Every operation of the document (built without a database: the document needs none)."""
    app = create_app(RegistrySettings("sqlite:///:memory:", generate_signer("fuzz/schema")[0]))
    document = app.openapi()
    return [f"{method.upper()} {path}" for path, ops in document["paths"].items() for method in ops]


@pytest.fixture(scope="module")
def api(registry: Harness) -> BaseSchema:
    return schemathesis.openapi.from_asgi("/openapi.json", registry.app)


def _token(operation: APIOperation, tokens: dict[str, str]) -> str | None:
    """A token of a role the operation's declared policy admits (the public's routes: none)."""
    roles = operation.definition.raw.get("x-distillgov-auth", {}).get("roles", ["public"])
    for role in ROLE_TOKENS:
        if role in roles:
            return tokens[role]
    return None


@pytest.mark.parametrize("operation", _operations())
def test_api_conforms_to_its_schema(operation: str, api: BaseSchema, registry: Harness) -> None:
    method, path = operation.split(" ", 1)
    found = api[path][method]
    headers: dict[str, str] = {}
    token = _token(found, registry.app.state.fuzz_tokens)
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"

    @given(case=found.as_strategy())
    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
        derandomize=True,
        database=None,
    )
    def check(case: schemathesis.Case) -> None:
        # The document declares the Idempotency-Key and Schemathesis generates one; a fresh key still
        # replaces it, because derandomized examples repeat keys, which would turn most writes into
        # replays or key-reuse refusals and leave the write paths themselves unexercised.
        sent = headers | ({"Idempotency-Key": uuid.uuid4().hex} if method == "POST" else {})
        case.call_and_validate(headers=sent, checks=CHECKS)

    check()
