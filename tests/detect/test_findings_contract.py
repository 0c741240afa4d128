"""The findings document is a public contract: its shape, completeness and provenance."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
from conftest import Scored
from typer.testing import CliRunner

from distillgov import __version__
from distillgov.cli import app
from distillgov.detect.signals import SIGNALS
from distillgov.provenance import sha256_file

ACCOUNT_KEYS = {"account_id", "score", "flagged", "campaign_id", "signals"}
CAMPAIGN_KEYS = {
    "campaign_id", "accounts", "score", "requests", "output_tokens", "first_seen", "last_seen",
    "signals", "sample_prompts",
}  # fmt: skip
SIGNAL_KEYS = {"name", "value", "baseline", "explanation"}


def test_every_account_in_the_input_appears_once(scored: Scored) -> None:
    seen = set(pq.read_table(scored.traffic, columns=["account_id"]).column(0).to_pylist())
    listed = [a["account_id"] for a in scored.findings["accounts"]]
    assert len(listed) == len(set(listed))
    assert set(listed) == seen


def test_document_shape_and_types(scored: Scored) -> None:
    doc = scored.findings
    assert doc["tool"] == {"name": "distillgov", "version": __version__}
    assert {"inputs", "parameters", "accounts", "campaigns"} <= doc.keys()
    for account in doc["accounts"]:
        assert account.keys() >= ACCOUNT_KEYS
        assert 0.0 <= account["score"] <= 1.0
        assert isinstance(account["flagged"], bool)
        assert account["flagged"] == (account["campaign_id"] is not None)
        for signal in account["signals"]:
            assert signal.keys() >= SIGNAL_KEYS
    for campaign in doc["campaigns"]:
        assert campaign.keys() >= CAMPAIGN_KEYS
        assert campaign["first_seen"] <= campaign["last_seen"]
        assert campaign["requests"] > 0
        for signal in campaign["signals"]:
            assert signal.keys() >= SIGNAL_KEYS
    json.dumps(doc)  # serializable as is


def test_flagged_accounts_belong_to_exactly_the_campaign_that_lists_them(scored: Scored) -> None:
    by_id = {a["account_id"]: a for a in scored.findings["accounts"]}
    listed = [a for c in scored.findings["campaigns"] for a in c["accounts"]]
    assert len(listed) == len(set(listed))
    for campaign in scored.findings["campaigns"]:
        for account in campaign["accounts"]:
            assert by_id[account]["flagged"]
            assert by_id[account]["campaign_id"] == campaign["campaign_id"]
    assert {a for a, v in by_id.items() if v["flagged"]} == set(listed)


def test_flagged_accounts_show_every_signal_with_its_baseline(scored: Scored) -> None:
    flagged = [a for a in scored.findings["accounts"] if a["flagged"]]
    assert flagged
    for account in flagged:
        named = {s["name"] for s in account["signals"]}
        assert {s.name for s in SIGNALS} <= named
        fired = [s for s in account["signals"] if (s.get("strength") or 0) > 0]
        assert fired
        for signal in fired:
            assert signal["baseline"]["value"] is not None
            assert signal["baseline"]["percentile"] == scored.findings["parameters"]["baseline_percentile"]
            assert "percentile" in signal["explanation"]


def test_provenance_names_inputs_by_sha256_and_rows(scored: Scored) -> None:
    [entry] = scored.findings["inputs"]
    assert entry["sha256"] == sha256_file(scored.traffic)
    assert entry["rows"] == pq.ParquetFile(scored.traffic).metadata.num_rows
    parameters = scored.findings["parameters"]
    assert parameters["target_fpr"] == 0.001
    assert 0 < parameters["threshold"] <= 1
    assert set(parameters["baselines"]) >= {"requests_per_day", "mean_output_tokens"}


def test_sample_prompts_are_hashed_unless_asked(scored: Scored) -> None:
    prompts = [p for c in scored.findings["campaigns"] for p in c["sample_prompts"]]
    assert prompts
    assert all(p["text"] is None and len(p["sha256"]) == 64 for p in prompts)


def test_cli_writes_the_same_contract(scored: Scored, tmp_path: Path) -> None:
    out = tmp_path / "findings.json"
    result = CliRunner().invoke(
        app, ["detect", str(scored.traffic), "--out", str(out), "--quiet", "--prompt-display", "redacted"]
    )
    assert result.exit_code == 0, result.output
    doc = json.loads(out.read_text())
    assert [a["flagged"] for a in doc["accounts"]] == [a["flagged"] for a in scored.findings["accounts"]]
    shown = [p for c in doc["campaigns"] for p in c["sample_prompts"]]
    assert all(p["text"] is not None and not any(ch.isdigit() for ch in p["text"]) for p in shown)
