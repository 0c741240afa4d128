"""Fixtures: a migrated database per test on SQLite (default) and on a real PostgreSQL."""

from __future__ import annotations

import itertools
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytest_postgresql.executors import PostgreSQLExecutor

from distillgov.registry.db import Database
from distillgov.registry.migrate import upgrade

from . import postgres
from .harness import Harness

os.environ.setdefault("HF_HUB_OFFLINE", "1")
_databases = itertools.count()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("registry-template") / "template.sqlite3"
    database = Database(f"sqlite:///{path}")
    upgrade(database)
    database.dispose()
    return path


@pytest.fixture
def sqlite_url(sqlite_template: Path, tmp_path: Path) -> str:
    path = tmp_path / "registry.sqlite3"
    shutil.copyfile(sqlite_template, path)
    return f"sqlite:///{path}"


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PostgreSQLExecutor]:
    if not postgres.available():
        pytest.skip(f"PostgreSQL binaries not found at {postgres.PG_BIN} (install Debian's postgresql)")
    with postgres.server() as executor:
        database = Database(postgres.create_database(executor, "registry_template"))
        upgrade(database)
        database.dispose()
        yield executor


@pytest.fixture
def pg_url(pg_server: PostgreSQLExecutor) -> str:
    return postgres.create_database(
        pg_server, f"registry_{os.getpid()}_{next(_databases)}", "registry_template"
    )


@pytest.fixture(params=["sqlite", "postgresql"])
def any_url(request: pytest.FixtureRequest) -> str:
    """Both backends: for the tests that must hold on each."""
    url: str = request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "pg_url")
    return url


@pytest.fixture
def registry(sqlite_url: str) -> Iterator[Harness]:
    harness = Harness(sqlite_url)
    yield harness
    harness.close()
