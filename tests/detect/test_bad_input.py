"""Bad input: required columns refused with the list of what is missing; optional ones degrade."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from conftest import Scored
from typer.testing import CliRunner

from distillgov.cli import app
from distillgov.detect.engines import InputError
from distillgov.detect.pipeline import detect


def _without(source: Path, target: Path, *columns: str) -> Path:
    table = pq.read_table(source)
    pq.write_table(table.drop_columns(list(columns)), target)
    return target


def test_missing_required_columns_are_listed_and_refused(scored: Scored, tmp_path: Path) -> None:
    broken = _without(scored.traffic, tmp_path / "broken.parquet", "account_id", "timestamp")
    with pytest.raises(InputError, match="timestamp, account_id"):
        detect([broken])
    result = CliRunner().invoke(app, ["detect", str(broken), "--out", str(tmp_path / "f.json"), "--quiet"])
    assert result.exit_code == 2
    assert "account_id" in result.output and not (tmp_path / "f.json").exists()


def test_absent_input_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="does not exist"):
        detect([tmp_path / "nowhere"])


def test_missing_optional_columns_skip_their_signals_and_links(scored: Scored, tmp_path: Path) -> None:
    thin = _without(
        scored.traffic,
        tmp_path / "thin.parquet",
        "payment_fingerprint",
        "output_tokens",
        "prompt",
        "completion",
    )
    analysis, _ = detect([thin])
    assert {"payment_fingerprint", "output_tokens", "prompt"} <= analysis.absent
    for name in ("output_tokens_per_day", "mean_output_tokens", "elicitation_share", "replay_share"):
        assert "not computed" in analysis.not_computed[name]
        assert name in analysis.not_computed[name] or "column" in analysis.not_computed[name]
    assert "requests_per_day" not in analysis.not_computed
    shared = {kind for community in analysis.linkage.shared for kind in community}
    assert "payment_fingerprint" not in shared
    assert len(analysis.features["account_id"]) == len(scored.analysis.features["account_id"])


def test_findings_say_why_a_signal_was_not_computed(scored: Scored, tmp_path: Path) -> None:
    thin = _without(scored.traffic, tmp_path / "thin.parquet", "max_tokens")
    out = tmp_path / "f.json"
    result = CliRunner().invoke(app, ["detect", str(thin), "--out", str(out), "--quiet"])
    assert result.exit_code == 0, result.output
    doc = json.loads(out.read_text())
    assert "max_tokens" in doc["parameters"]["signals_not_computed"]["mean_max_tokens"]
    flagged = [a for a in doc["accounts"] if a["flagged"]]
    for account in flagged:
        [entry] = [s for s in account["signals"] if s["name"] == "mean_max_tokens"]
        assert entry["value"] is None and "not computed" in entry["explanation"]
