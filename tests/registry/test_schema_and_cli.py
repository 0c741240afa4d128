"""The shipped migrations build exactly the models' schema, and the CLI sets up and administers a
registry from nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from typer.testing import CliRunner

from distillgov.cli import app
from distillgov.registry.db import Database
from distillgov.registry.migrate import current_revision, head_revision, upgrade
from distillgov.registry.models import Base

from .harness import Harness


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_migrations_match_the_models(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    url = (
        f"sqlite:///{tmp_path / 'fresh.sqlite3'}"
        if backend == "sqlite"
        else request.getfixturevalue("pg_url")
    )
    database = Database(url)
    upgrade(database)
    assert current_revision(database) == head_revision()
    with database.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    database.dispose()
    assert differences == []


def test_cli_sets_up_and_administers_a_registry(tmp_path: Path) -> None:
    runner = CliRunner()
    db = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
    key = tmp_path / "signer.key"
    setup = runner.invoke(
        app, ["registry", "init-db", "--db", db, "--log-key", str(key), "--origin", "example.org/reg"]
    )
    assert setup.exit_code == 0, setup.output
    assert "example.org/reg+" in setup.output and key.stat().st_mode & 0o077 == 0

    def admin(*args: str) -> dict[str, object]:
        result = runner.invoke(app, ["registry", "admin", *args, "--db", db])
        assert result.exit_code == 0, result.output
        parsed: dict[str, object] = json.loads(result.output)
        return parsed

    org = admin("create-org", "Frontier Lab")
    user = admin("create-user", "alice", "--org", str(org["id"]), "--role", "teacher_owner")
    token = admin("token", str(user["id"]))["token"]
    assert isinstance(token, str) and token.startswith("dgr_")
    stored = b"".join(p.read_bytes() for p in tmp_path.glob("cli.sqlite3*"))  # the file and its WAL
    assert token.encode() not in stored  # only its sha256 is kept

    harness = Harness(db)
    assert harness.ok(harness.get("/v1/me", token))["role"] == "teacher_owner"
    harness.close()
    duplicate = runner.invoke(app, ["registry", "admin", "create-org", "Frontier Lab", "--db", db])
    assert duplicate.exit_code == 1 and "already exists" in duplicate.output


def test_admin_refuses_an_unmigrated_database(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["registry", "admin", "list", "--db", f"sqlite:///{tmp_path / 'empty.db'}"]
    )
    assert result.exit_code == 2 and "init-db" in result.output
