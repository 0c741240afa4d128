"""The README's copy-paste walk-through (examples/registry-walkthrough.sh) run as a user would: against a
real `registry serve` process on a fresh SQLite file, with the registry's clock moved by libfaketime
through the timestamp file the server and the script share (the service itself has no clock override)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from . import servers

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "examples" / "registry-walkthrough.sh"
FAKETIME_LIB = Path(os.environ.get("FAKETIME_LIB", "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1"))
RESULT_PREFIX = "walkthrough-result: "
SCRIPT_TIMEOUT_S = 300


def faketime_env(clock_file: Path) -> dict[str, str]:
    """What puts a process on the shared clock: libfaketime re-reading the timestamp file on every call."""
    return {
        "FAKETIME_TIMESTAMP_FILE": str(clock_file),
        "FAKETIME_NO_CACHE": "1",
        "FAKETIME_DONT_FAKE_MONOTONIC": "1",  # asyncio and timeouts need a clock that moves
        "LD_PRELOAD": str(FAKETIME_LIB),
    }


@pytest.fixture
def walk_server(tmp_path: Path) -> Iterator[tuple[servers.Server, dict[str, str]]]:
    if not FAKETIME_LIB.is_file():
        pytest.skip(f"libfaketime is missing at {FAKETIME_LIB}: apt-get install faketime")
    if shutil.which("curl") is None:
        pytest.skip("curl is missing: apt-get install curl")
    clock_file = tmp_path / "clock"
    clock_file.write_text("2026-01-15 12:00:00\n", encoding="utf-8")
    database_url = f"sqlite:///{tmp_path / 'registry.sqlite3'}"
    log_key, _ = servers.key_file(tmp_path)
    port = servers.free_port()
    log = tmp_path / f"server-{port}.log"
    command = [
        servers.DISTILLGOV, "registry", "serve", "--db", database_url, "--log-key", str(log_key),
        "--host", "127.0.0.1", "--port", str(port),
    ]  # fmt: skip
    env = os.environ | {"HF_HUB_OFFLINE": "1"} | faketime_env(clock_file)
    with log.open("ab") as out:
        process = subprocess.Popen(
            command, stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True
        )
    server = servers.Server(process, f"http://127.0.0.1:{port}", log)
    script_env = {
        "REGISTRY_URL": server.url,
        "DISTILLGOV_REGISTRY_DB": database_url,
        "DISTILLGOV_REGISTRY_LOG_KEY_FILE": str(log_key),
        "REGISTRY_CLOCK_FILE": str(clock_file),
        "FAKETIME_LIB": str(FAKETIME_LIB),
        "DISTILLGOV": servers.DISTILLGOV,
        "WORK_DIR": str(tmp_path / "work"),
    }
    try:
        servers.wait_healthy(server)
        yield server, script_env
    finally:
        server.stop()


def results(output: str) -> dict[str, list[dict[str, Any]]]:
    """The script's machine-readable lines, grouped by step."""
    by_step: dict[str, list[dict[str, Any]]] = {}
    for line in output.splitlines():
        if line.startswith(RESULT_PREFIX):
            found = json.loads(line.removeprefix(RESULT_PREFIX))
            by_step.setdefault(found["step"], []).append(found)
    return by_step


@pytest.mark.slow
def test_walkthrough_script(walk_server: tuple[servers.Server, dict[str, str]], tmp_path: Path) -> None:
    server, script_env = walk_server
    run = subprocess.run(
        ["bash", str(SCRIPT)],
        env=os.environ | {"HF_HUB_OFFLINE": "1"} | script_env,
        capture_output=True,
        text=True,
        timeout=SCRIPT_TIMEOUT_S,
    )
    assert run.returncode == 0, f"stdout:\n{run.stdout}\nstderr:\n{run.stderr}\nserver log: {server.log}"
    found = results(run.stdout)

    [classification] = found["classification"]
    assert classification["classification"] == "independent"
    assert classification["compulsory_license"]["applies"] == "applies"

    [lic] = found["license"]
    assert (
        lic["status"] == "active" and lic["expires_on"] == classification["compulsory_license"]["window_ends"]
    )

    [ledger] = found["ledger"]
    assert ledger["levy_minor"] == 61_728  # 5% of 12,345.67, rounded half-even to the cent
    assert ledger["balance_minor"] == 0 and ledger["overdue_minor"] == 0

    [lapse] = found["lapse"]
    assert lapse["swept_lapsed"] == [lapse["claim"]] and lapse["status"] == "lapsed"
    assert (lapse["immunity_before"], lapse["immunity_after"]) == ("applies", "does_not_apply")
    assert lapse["unmet_conditions"] == ["transparency"]

    [mlbom] = found["mlbom"]
    bom = json.loads(Path(mlbom["file"]).read_text(encoding="utf-8"))
    student = bom["metadata"]["component"]
    assert bom["bomFormat"] == "CycloneDX" and student["name"] == mlbom["student"]
    assert student["pedigree"]["ancestors"][0]["name"] == mlbom["teacher"]

    verified = found["verified"]
    assert all(v["ok"] and v["logged_kind"] == v["kind"] for v in verified)
    assert len({v["index"] for v in verified}) == len(verified)
    kinds = [v["kind"] for v in verified]
    for kind in ("registration", "classification", "report", "assessment", "payment", "claim", "lapse"):
        assert kinds.count(kind) >= 1, kind
    assert (
        kinds.count("license") == 2 and kinds.count("condition") == 2
    )  # requested + issued; privacy, safety
