"""End to end: simulate with injected faults, ingest, and check the store against the simulator's truth."""

from pathlib import Path

import pyarrow.parquet as pq
from typer.testing import CliRunner

from distillgov.cli import app
from distillgov.demo import DemoConfig, run_demo


def test_demo_stores_every_clean_row_and_quarantines_exactly_the_injected_faults(tmp_path: Path) -> None:
    summary = run_demo(DemoConfig(out=tmp_path / "demo", rows=20_000, corrupt_rate=0.01))
    faults = summary["injected_faults"]
    injected = sum(faults["injected"].values())
    assert injected > 50  # enough faults of each kind to mean something
    assert set(faults["injected"]) == {
        "missing_account_id", "unparseable_timestamp", "negative_tokens", "duplicate_request_id",
    }  # fmt: skip
    assert faults["caught"] == injected and faults["missed"] == 0 and faults["other"] == 0
    assert summary["rows_read"] == summary["simulated_rows"]
    assert summary["rows_stored"] + summary["rows_rejected"] == summary["rows_read"]
    # Rows without an account were quarantined, so every stored row joins to its label.
    labelled = sum(p["rows"] for p in summary["populations"])
    assert labelled == summary["rows_stored"]
    populations = {p["population"] for p in summary["populations"]}
    assert {"interactive", "enterprise", "eval_pipeline", "automated_app"} <= populations
    assert any(name.startswith("campaign") for name in populations)
    assert (tmp_path / "demo" / "summary.json").exists()
    detection = summary["detection"]
    # Detection scores every stored account, flagged or not, and writes its report.
    assert sum(c["accounts"] for c in detection["by_population"].values()) == summary["accounts"]
    assert Path(detection["report"]).stat().st_size > 1000
    assert detection["true_campaigns_found"] <= detection["true_campaigns"]


def test_demo_command_prints_the_honest_summary(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["demo", "--out", str(tmp_path / "d"), "--rows", "5000"])
    assert result.exit_code == 0, result.output
    assert "injected log faults" in result.output
    assert "missed 0" in result.output
    stored = sum(pq.ParquetFile(p).metadata.num_rows for p in (tmp_path / "d" / "store").rglob("*.parquet")
                 if "exchanges" in p.parts)  # fmt: skip
    assert f"stored {stored:,}" in result.output
