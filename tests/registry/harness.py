"""The registry under test: an app on a given database, a manual clock, and helpers for tokens and
idempotent writes, so each test reads as the walk-through a user would do."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from fastapi.testclient import TestClient

from distillgov.registry.api.app import create_app
from distillgov.registry.api.settings import RegistrySettings
from distillgov.registry.clock import ManualClock
from distillgov.registry.models import Organization, Role
from distillgov.registry.service import directory
from distillgov.registry.service.context import SYSTEM, Context
from distillgov.registry.tlog.note import generate_signer

ORIGIN = "localhost/distillgov-registry-test"


class Harness:
    def __init__(self, database_url: str, clock: ManualClock | None = None) -> None:
        self.clock = clock or ManualClock()
        self.signer, self.vkey = generate_signer(ORIGIN)
        self.app = create_app(RegistrySettings(database_url, self.signer, clock=self.clock))
        self.state = self.app.state.registry
        self.client = TestClient(self.app, raise_server_exceptions=False)

    def close(self) -> None:
        self.client.close()
        self.state.db.dispose()

    def system(self) -> Any:
        """A write transaction acting as the operator (like `distillgov registry admin`)."""
        return _SystemWrite(self)

    def user(self, organization: str, role: Role, name: str | None = None) -> str:
        """A token for a new user of `organization` (created when missing)."""
        with self.system() as ctx:
            org = ctx.session.query(Organization).filter_by(name=organization).one_or_none()
            if org is None:
                org = directory.create_organization(ctx, organization)
            user = directory.create_user(
                ctx, org.id, name or f"{organization}/{role.value}/{uuid.uuid4().hex[:6]}", role
            )
            _token, secret = directory.issue_token(ctx, user.id, "test")
        return secret

    def post(
        self, path: str, token: str | None, json: Any = None, key: str | None = "auto", **headers: str
    ) -> httpx.Response:
        sent = dict(headers)
        if token is not None:
            sent["Authorization"] = f"Bearer {token}"
        if key == "auto":
            sent["Idempotency-Key"] = uuid.uuid4().hex
        elif key is not None:
            sent["Idempotency-Key"] = key
        return self.client.post(path, json=json, headers=sent)

    def get(self, path: str, token: str | None = None, **params: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return self.client.get(path, headers=headers, params=params)

    def ok(self, response: httpx.Response, status: int = 200) -> Any:
        assert response.status_code == status, f"{response.status_code}: {response.text}"
        return response.json()


class _SystemWrite:
    def __init__(self, harness: Harness) -> None:
        self.harness = harness

    def __enter__(self) -> Context:
        self._cm = self.harness.state.db.write()
        session = self._cm.__enter__()
        return Context(session, SYSTEM, self.harness.clock, self.harness.state.classifier)

    def __exit__(self, *exc: Any) -> None:
        self._cm.__exit__(*exc)
