"""A store ingested with --drop-text and --pseudonymize: detection still works on what is left."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from conftest import read_labels, simulate_week
from typer.testing import CliRunner

from distillgov.cli import app
from distillgov.detect.pipeline import detect
from distillgov.traffic.pseudonymize import Pseudonymizer, load_key


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
    # The campaign is still found. Seed 7305's swarm replays chats (no harvesting shape: it is seen
    # through its shared cards and keys, which pseudonyms keep), so the text-free run must flag at
    # least the campaign accounts a run on the plain-text week flags; account ids are pseudonyms,
    # mapped back with the key.
    labels = read_labels(week)
    pseudonyms = Pseudonymizer(load_key(key))
    campaign = {pseudonyms.token("account_id", a) for a, r in labels.items() if r["campaign_id"] is not None}
    is_campaign = np.isin(analysis.features["account_id"], list(campaign))
    flagged = analysis.scores.flagged
    plain, _ = detect([week / "exchanges.parquet"])
    plain_campaign = np.asarray([labels[a]["campaign_id"] is not None for a in plain.features["account_id"]])
    assert flagged[is_campaign].sum() >= plain.scores.flagged[plain_campaign].sum() > len(campaign) / 2
    assert flagged[~is_campaign].sum() <= 2  # at most the licensed distiller, a policy call
