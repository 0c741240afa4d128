"""Database engines and the two kinds of transaction the registry runs: reads and sequenced writes.

Every write must append to the transparency log in the same transaction, and the log is one
sequence, so writes are serialized by a single sequencer taken at the start of the transaction:
PostgreSQL's transaction-scoped advisory lock, or SQLite's write lock (`BEGIN IMMEDIATE`). Taking it
first (rather than at the append) means a write sees every earlier write, so races on one record
(two payments, two license requests) are decided in one order that the log records.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.orm import Session, sessionmaker

# Any fixed 64-bit number names the advisory lock; this one spells "dgreglog".
SEQUENCER_LOCK_KEY = 0x6467_7265_676C_6F67
SQLITE_BUSY_TIMEOUT_MS = 30_000
# Connections are replaced after this long, before a proxy or firewall drops them silently; a
# connection that was dropped anyway is detected when used (see `Database.outside_transaction`).
POOL_RECYCLE_S = 1800
NO_TRANSACTION = "registry_no_transaction"

T = TypeVar("T")


def default_data_dir() -> Path:
    """The user's data folder (XDG on Linux, the platform's equivalents elsewhere)."""
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA", Path.home() / "AppData" / "Local"))
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support"
    else:
        base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return base / "distillgov" / "registry"


def default_database_url() -> str:
    return f"sqlite:///{default_data_dir() / 'registry.sqlite3'}"


def normalize_url(url: str) -> URL:
    """A URL SQLAlchemy can use: plain `postgresql://` means psycopg 3 (the driver we ship)."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        raise ValueError(f"{url}: unsupported database; allowed: sqlite:///PATH or postgresql://...")
    return parsed


def create_engine(url: str, *, pool_size: int = 10) -> sa.Engine:
    """An engine with the settings the registry relies on (WAL and write locks on SQLite)."""
    parsed = normalize_url(url)
    if parsed.get_backend_name() == "postgresql":
        # No pre-ping: it costs a round trip on every checkout, i.e. on every request.
        return sa.create_engine(
            parsed, pool_size=pool_size, max_overflow=pool_size, pool_recycle=POOL_RECYCLE_S
        )
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(parsed, connect_args={"check_same_thread": False, "timeout": 30})
    event.listen(engine, "connect", _sqlite_on_connect)
    event.listen(engine, "begin", _sqlite_on_begin)
    return engine


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy, not the driver, decide where transactions begin (see _sqlite_on_begin).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")  # an acknowledged write survives a power cut, not just a crash
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.close()


def _sqlite_on_begin(connection: sa.Connection) -> None:
    # A deferred transaction that reads and then writes can fail with SQLITE_BUSY when another writer
    # committed in between; a write transaction therefore takes the write lock up front.
    options = connection.get_execution_options()
    if options.get(NO_TRANSACTION, False):
        return  # the driver is in autocommit mode (_sqlite_on_connect): each statement stands alone
    immediate = options.get("registry_write", False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


class Database:
    """One engine and its sessions; the unit the app factory and the CLI share."""

    def __init__(self, url: str, *, pool_size: int = 10) -> None:
        self.url = url
        self.engine = create_engine(url, pool_size=pool_size)
        self.backend = self.engine.dialect.name
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        # PostgreSQL's own autocommit; SQLite's driver already runs in autocommit, minus our BEGIN.
        self._no_transaction = self.engine.execution_options(
            **({"isolation_level": "AUTOCOMMIT"} if self.backend == "postgresql" else {NO_TRANSACTION: True})
        )

    def outside_transaction(self, work: Callable[[sa.Connection], T]) -> T:
        """Run `work` with each statement its own implicit transaction: no BEGIN, no ROLLBACK.

        For public reads that stay correct without a snapshot (a single SELECT, or a tree size read
        before the data it keys, which can only make the data newer). `work` is re-run once on a
        connection found dropped: the failed attempt wrote nothing, and SQLAlchemy has by then
        discarded the pool's older connections, which stands in for a pre-ping on every checkout.
        """
        for attempt in (1, 2):
            try:
                with self._no_transaction.connect() as connection:
                    return work(connection)
            except sa.exc.DBAPIError as error:
                if attempt == 2 or not error.connection_invalidated:
                    raise
        raise AssertionError("unreachable")

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A read-only unit of work: one consistent snapshot, never committed."""
        with self._sessions() as session:
            try:
                yield session
            finally:
                session.rollback()

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A sequenced write: the sequencer is held from the first statement to the commit."""
        with self._sessions() as session:
            session.connection(execution_options={"registry_write": True})
            if self.backend == "postgresql":
                session.execute(sa.select(sa.func.pg_advisory_xact_lock(SEQUENCER_LOCK_KEY)))
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    def dispose(self) -> None:
        self.engine.dispose()
