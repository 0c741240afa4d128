"""A throw-away PostgreSQL server for the registry's tests, from Debian's packaged binaries.

pytest-postgresql's executor drives `pg_ctl`; PostgreSQL refuses to run as root, and CI runs the
suite as root, so as root the executor is handed a `pg_ctl` wrapper that runs it (and through it
`initdb` and `postgres`) as an unprivileged system user, in a data folder that user owns.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import stat
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
from pytest_postgresql.executors import PostgreSQLExecutor

PG_BIN = Path(os.environ.get("DISTILLGOV_PG_BIN", "/usr/lib/postgresql/15/bin"))
UNPRIVILEGED_USERS = ("postgres", "nobody")


def available() -> bool:
    return (PG_BIN / "pg_ctl").is_file()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _unprivileged_user() -> pwd.struct_passwd:
    for name in UNPRIVILEGED_USERS:
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    raise RuntimeError(f"running as root and none of the users {UNPRIVILEGED_USERS} exists to run PostgreSQL")


def _pg_ctl(folder: Path) -> str:
    """`pg_ctl` itself, or as root a wrapper that runs it as an unprivileged user owning `folder`."""
    if os.geteuid() != 0:
        return str(PG_BIN / "pg_ctl")
    user = _unprivileged_user()
    os.chown(folder, user.pw_uid, user.pw_gid)
    wrapper = folder / "pg_ctl-as-user"
    wrapper.write_text(f'#!/bin/sh\ncd /\nexec runuser -u {user.pw_name} -- "{PG_BIN}/pg_ctl" "$@"\n')
    wrapper.chmod(stat.S_IRWXU | stat.S_IRGRP | stat.S_IXGRP | stat.S_IROTH | stat.S_IXOTH)
    return str(wrapper)


@contextmanager
def server(*, fsync: bool = False, options: dict[str, str] | None = None) -> Iterator[PostgreSQLExecutor]:
    """A fresh cluster on a free port, removed afterwards.

    fsync is off by default because the tests' durability claims are about the registry's
    transactions, not the disk, and fsync on costs the suite seconds per commit burst on a shared
    disk; a benchmark passes fsync=True so that its write figures are those of a durable server.
    `options` are further `-c name=value` server settings.
    """
    settings = {"fsync": "on" if fsync else "off", "max_connections": "200"} | (options or {})
    folder = Path(tempfile.mkdtemp(prefix="distillgov-pg-"))
    folder.chmod(0o755)
    executor = PostgreSQLExecutor(
        executable=_pg_ctl(folder),
        host="127.0.0.1",
        port=_free_port(),
        datadir=str(folder / "data"),
        unixsocketdir=str(folder),
        logfile=str(folder / "postgresql.log"),
        startparams="-w",
        dbname="postgres",
        user="postgres",
        postgres_options=" ".join(f"-c {name}={value}" for name, value in settings.items()),
    )
    try:
        executor.start()
        _wait_until_ready(executor)
        yield executor
    finally:
        executor.stop()
        shutil.rmtree(folder, ignore_errors=True)


def _wait_until_ready(executor: PostgreSQLExecutor, timeout_s: float = 60) -> None:
    """The port accepts connections before the server accepts sessions ("starting up"): wait for both."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            with psycopg.connect(url(executor, "postgres"), connect_timeout=5):
                return
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def url(executor: PostgreSQLExecutor, dbname: str) -> str:
    return f"postgresql://{executor.user}@{executor.host}:{executor.port}/{dbname}"


def create_database(executor: PostgreSQLExecutor, name: str, template: str | None = None) -> str:
    """A new database, copied from `template` when given (PostgreSQL refuses to copy a template that
    another session still holds open, as a just-closed pool may for a moment: retry briefly)."""
    suffix = f" TEMPLATE {template}" if template else ""
    for attempt in range(50):
        try:
            with psycopg.connect(url(executor, "postgres"), autocommit=True) as connection:
                connection.execute(f"CREATE DATABASE {name}{suffix}")  # type: ignore[arg-type]
            return url(executor, name)
        except psycopg.errors.ObjectInUse:
            if attempt == 49:
                raise
            time.sleep(0.1)
    raise AssertionError("unreachable")
