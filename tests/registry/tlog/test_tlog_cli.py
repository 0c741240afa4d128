"""`registry verify ...`: exit status 0 verified, 1 failed, 2 bad input; text and JSON output."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from tlog_reference import decision, fixed_key
from typer.testing import CliRunner

from distillgov.registry.tlog.cli import register
from distillgov.registry.tlog.memory import MemoryLog
from distillgov.registry.tlog.note import generate_signer

SIGNER, VKEY = fixed_key("registry.test/cli")

registry_app = typer.Typer()


@registry_app.callback()
def registry() -> None:
    """Stands in for the registry's own command group."""


register(registry_app)
runner = CliRunner()


@pytest.fixture
def log_folder(tmp_path: Path) -> Path:
    log = MemoryLog(SIGNER)
    for index in range(20):
        log.append(decision(index))
        if index == 9:
            (tmp_path / "old-checkpoint").write_text(log.signed_checkpoint())
    log.write_folder(tmp_path / "log")
    (tmp_path / "vkey").write_text(VKEY + "\n")
    (tmp_path / "decision-3.json").write_text(json.dumps(decision(3)))
    return tmp_path / "log"


def invoke(*args: str) -> tuple[int, str]:
    """Exit status and stdout; stderr (the verdict on failure) is checked through `invoke_all`."""
    result = runner.invoke(registry_app, ["verify", *args])
    return result.exit_code, result.stdout


def invoke_all(*args: str) -> tuple[int, str]:
    result = runner.invoke(registry_app, ["verify", *args])
    return result.exit_code, result.stdout + result.stderr


def test_checkpoint_ok_in_text_and_json(log_folder: Path) -> None:
    status, output = invoke("checkpoint", str(log_folder), "--vkey", VKEY, "--audit")
    assert status == 0
    assert "OK: checkpoint of registry.test/cli at size 20" in output
    status, output = invoke(
        "checkpoint", str(log_folder), "--vkey", str(log_folder.parent / "vkey"), "--json"
    )
    assert status == 0
    assert json.loads(output)["checkpoint"]["size"] == 20


def test_inclusion_by_decision_file_and_by_index(log_folder: Path) -> None:
    decision_file = str(log_folder.parent / "decision-3.json")
    status, output = invoke(
        "inclusion", str(log_folder), "--vkey", VKEY, "--index", "3", "--decision", decision_file
    )
    assert status == 0, output
    status, output = invoke("inclusion", str(log_folder), "--vkey", VKEY, "--index", "3", "--json")
    assert status == 0
    assert json.loads(output)["entry"] == decision(3)


def test_inclusion_of_the_wrong_decision_fails_with_status_1(log_folder: Path) -> None:
    decision_file = str(log_folder.parent / "decision-3.json")
    status, output = invoke(
        "inclusion", str(log_folder), "--vkey", VKEY, "--index", "4", "--decision", decision_file, "--json"
    )
    assert status == 1
    assert json.loads(output)["error"] == "EntryMismatchError"


def test_consistency_and_rollback(log_folder: Path, tmp_path: Path) -> None:
    old = str(tmp_path / "old-checkpoint")
    assert invoke("consistency", str(log_folder), "--vkey", VKEY, "--old", old)[0] == 0
    newer = tmp_path / "newer-checkpoint"
    grown = MemoryLog(SIGNER)
    for index in range(25):
        grown.append(decision(index))
    newer.write_text(grown.signed_checkpoint())
    status, output = invoke_all("consistency", str(log_folder), "--vkey", VKEY, "--old", str(newer))
    assert status == 1
    assert "verification FAILED: RollbackError" in output


def test_a_forged_checkpoint_fails_with_status_1(log_folder: Path) -> None:
    _, other_vkey = generate_signer("registry.test/cli")
    status, output = invoke_all("checkpoint", str(log_folder), "--vkey", other_vkey)
    assert status == 1
    assert "BadSignatureError" in output


@pytest.mark.parametrize(
    "args",
    [
        ("checkpoint", "{folder}", "--vkey", "garbage"),
        ("checkpoint", "{folder}/nowhere", "--vkey", VKEY),
        ("inclusion", "{folder}", "--vkey", VKEY, "--index", "1", "--decision", "{folder}/checkpoint"),
        ("inclusion", "{folder}", "--vkey", VKEY, "--index", "1", "--entry", "{folder}/missing"),
        ("consistency", "{folder}", "--vkey", VKEY, "--old", "{folder}/missing"),
    ],
)
def test_bad_input_exits_with_status_2(log_folder: Path, args: tuple[str, ...]) -> None:
    status, output = invoke_all(*(arg.format(folder=log_folder) for arg in args))
    assert status == 2, output
    assert "cannot verify" in output


def test_save_then_verify_the_copy(log_folder: Path, tmp_path: Path) -> None:
    """`save` reads any LogSource the library accepts; here a folder stands in for a URL."""
    status, output = invoke_all("save", str(log_folder), str(tmp_path / "copy"), "--vkey", VKEY)
    assert status == 0, output
    assert invoke("checkpoint", str(tmp_path / "copy"), "--vkey", VKEY, "--audit")[0] == 0
