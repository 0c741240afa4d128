"""A real registry server in a subprocess (uvicorn, several workers), for tests that need real
concurrent clients or real processes."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from distillgov.registry.api.settings import ENV_DB, ENV_KEY_FILE, ensure_key_file


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def running(database_url: str, folder: Path, workers: int = 2) -> Iterator[str]:
    """Serve `database_url` (already migrated) on a free loopback port; yields the base URL."""
    key_file = folder / "log-signer.key"
    ensure_key_file(key_file)
    port = free_port()
    env = os.environ | {ENV_DB: database_url, ENV_KEY_FILE: str(key_file)}
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "distillgov.registry.api.app:app_from_env",
        "--factory",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--log-level",
        "warning",
    ]
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                error = process.stderr.read().decode() if process.stderr else ""
                raise RuntimeError(f"registry server did not start: {error[-2000:]}")
            time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
