"""Real `distillgov registry serve` processes for the tests that need a server, not an app object:
a browser, a SIGKILL, two processes against one database.

Each server runs in its own process group on a free loopback port, with its output kept in a log
file the failure message points to; `start` returns once /healthz answers.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from distillgov.registry.classifier import LawEngineClassifier
from distillgov.registry.clock import Clock, SystemClock
from distillgov.registry.db import Database
from distillgov.registry.models import Organization, Role
from distillgov.registry.service import directory
from distillgov.registry.service.context import SYSTEM, Context
from distillgov.registry.tlog import tiles
from distillgov.registry.tlog.note import generate_signer

from . import scenario

DISTILLGOV = str(Path(sys.executable).with_name("distillgov"))
START_TIMEOUT_S = 120.0  # imports alone take seconds on a loaded 2-core machine


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    url: str
    log: Path

    def client(self, token: str | None = None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=60)

    def kill(self) -> None:
        """SIGKILL, as a crash or the OOM killer would: no shutdown handler runs."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def key_file(folder: Path, origin: str = "localhost/distillgov-registry-test") -> tuple[Path, str]:
    """A log signer key file shared by the servers of one test, and its verifier key."""
    signer, vkey = generate_signer(origin)
    path = folder / "log-signer.key"
    path.write_text(signer + "\n", encoding="utf-8")
    path.chmod(0o600)
    return path, vkey


def start(
    database_url: str,
    log_key: Path,
    log_dir: Path,
    *,
    name: str = "server",
    workers: int = 1,
    wait: bool = True,
) -> Server:
    port = free_port()
    log = log_dir / f"{name}-{port}.log"
    command = [
        DISTILLGOV, "registry", "serve", "--db", database_url, "--log-key", str(log_key),
        "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers),
    ]  # fmt: skip
    env = os.environ | {"HF_HUB_OFFLINE": "1"}
    with log.open("ab") as out:
        process = subprocess.Popen(
            command, stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True
        )
    server = Server(process, f"http://127.0.0.1:{port}", log)
    if wait:
        wait_healthy(server)
    return server


def wait_healthy(server: Server) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"the server exited with {server.process.returncode}; see {server.log}")
        try:
            if httpx.get(f"{server.url}/healthz", timeout=5).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    server.stop()
    raise RuntimeError(f"the server did not answer /healthz within {START_TIMEOUT_S:.0f} s; see {server.log}")


@contextmanager
def running(
    database_url: str, log_key: Path, log_dir: Path, *, name: str = "server", workers: int = 1
) -> Iterator[Server]:
    server = start(database_url, log_key, log_dir, name=name, workers=workers)
    try:
        yield server
    finally:
        server.stop()


@contextmanager
def operator(database_url: str, clock: Clock | None = None) -> Iterator[Context]:
    """One write transaction with the operator's authority, as `distillgov registry admin` acts."""
    database = Database(database_url)
    try:
        with database.write() as session:
            yield Context(session, SYSTEM, clock or SystemClock(), LawEngineClassifier())
    finally:
        database.dispose()


def add_user(ctx: Context, organization: str, role: Role, name: str) -> str:
    """A token for a new user of `organization` (created when missing), issued before any server runs."""
    org = ctx.session.query(Organization).filter_by(name=organization).one_or_none()
    if org is None:
        org = directory.create_organization(ctx, organization)
    user = directory.create_user(ctx, org.id, name, role)
    return directory.issue_token(ctx, user.id, "test")[1]


@dataclass(frozen=True)
class Intent:
    """One write a client means to make exactly once: its Idempotency-Key is fixed before it is sent."""

    key: str
    path: str
    body: dict[str, Any]
    token: str


def intents(admin: str, owner: str, count: int, label: str) -> list[Intent]:
    """Alternating cheap and multi-row writes: organizations, and protected models with their records."""
    made = []
    for i in range(count):
        if i % 2:
            body = scenario.protected_model(f"{label}-model-{i}")
            made.append(Intent(f"{label}-{i}", "/v1/models", body, owner))
        else:
            made.append(
                Intent(f"{label}-{i}", "/v1/admin/organizations", {"name": f"{label}-org-{i}"}, admin)
            )
    return made


def send(client: httpx.Client, intent: Intent) -> httpx.Response:
    headers = {"Authorization": f"Bearer {intent.token}", "Idempotency-Key": intent.key}
    return client.post(intent.path, json=intent.body, headers=headers)


@dataclass
class WriteStream:
    """Several client threads sending intents to one or more servers; records what was acknowledged.

    A thread stops at its first transport error (the server is gone); what it had sent without an
    answer is 'unacknowledged': it may or may not have committed, which only a retry can settle.
    """

    urls: list[str]
    pending: list[Intent]
    acknowledged: dict[str, dict[str, Any]] = field(default_factory=dict)
    unacknowledged: list[Intent] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def run(self, threads: int) -> list[threading.Thread]:
        started = [
            threading.Thread(target=self._worker, args=(self.urls[n % len(self.urls)],), daemon=True)
            for n in range(threads)
        ]
        for thread in started:
            thread.start()
        return started

    def _next(self) -> Intent | None:
        with self._lock:
            return self.pending.pop(0) if self.pending else None

    def _worker(self, url: str) -> None:
        with httpx.Client(base_url=url, timeout=60) as client:
            while (intent := self._next()) is not None:
                try:
                    answer = send(client, intent)
                except httpx.TransportError:
                    with self._lock:
                        self.unacknowledged.append(intent)
                    return
                with self._lock:
                    if answer.status_code == 201:
                        self.acknowledged[intent.key] = answer.json()
                    else:
                        self.refused.append(f"{intent.key}: {answer.status_code} {answer.text[:300]}")

    def count(self) -> int:
        with self._lock:
            return len(self.acknowledged)


def saved_entries(folder: Path, size: int) -> list[bytes]:
    """Every entry of a saved (and already audited) log, from its entry bundles."""
    return [
        entry
        for bundle in tiles.bundles_for_size(size)
        for entry in tiles.parse_entry_bundle((folder / bundle.path).read_bytes())
    ]
