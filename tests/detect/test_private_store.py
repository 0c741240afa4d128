"""A store ingested with --drop-text and --pseudonymize: detection still works on what is left."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import read_labels, simulate_week
from typer.testing import CliRunner

from distillgov.cli import app
from distillgov.detect.pipeline import detect


@pytest.mark.slow
def test_text_free_pseudonymized_store(tmp_path_factory: pytest.TempPathFactory) -> None:
    week = simulate_week(tmp_path_factory.mktemp("private"), rows=40_000, seed=7305, scenario="swarm")
    store, key = week / "store", week / "key"
    runner = CliRunner()
    assert runner.invoke(app, ["keygen", str(key)]).exit_code == 0
    result = runner.invoke(
        app,
        [
            "ingest",
            str(week / "exchanges.parquet"),
            "--out",
            str(store),
            "--drop-text",
            "--pseudonymize",
            str(key),
            "--quiet",
        ],
    )
    assert result.exit_code == 0, result.output
    analysis, inputs = detect([store])
    assert inputs and all(Path(i.path).is_relative_to(store) for i in inputs)
    assert "prompt" in analysis.absent
    assert "elicitation_share" in analysis.not_computed and "replay_share" not in analysis.not_computed
    kinds = {k for shared in analysis.linkage.shared for k in shared}
    assert "subnet" in kinds or "client_ip" in kinds  # pseudonymized addresses still link by network
    # the campaign is still found: account ids are pseudonyms, so compare counts, not ids
    campaign_accounts = sum(1 for r in read_labels(week).values() if r["campaign_id"] is not None)
    assert analysis.scores.flagged.sum() >= 0.9 * campaign_accounts
    assert analysis.scores.flagged.sum() <= campaign_accounts + 2
