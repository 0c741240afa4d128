"""`--state`: absorbing a new day's logs gives the same findings as scoring the whole history."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from distillgov.cli import app
from distillgov.detect.pipeline import detect, detect_incremental
from distillgov.detect.signals import SIGNALS
from distillgov.detect.state import StateError
from distillgov.traffic.simulator import SimulationConfig, simulate


@pytest.fixture(scope="module")
def days(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    out = tmp_path_factory.mktemp("daily")
    simulate(
        SimulationConfig(out=out, rows=40_000, seed=7303, scenario="swarm", split_by_day=True, threads=2)
    )
    files = sorted((out / "exchanges").glob("*.parquet"))
    assert len(files) == 7
    return files


def test_incremental_and_full_runs_agree(days: list[Path], tmp_path: Path) -> None:
    full, _ = detect(days)
    state = tmp_path / "state"
    detect_incremental(days[:4], state)
    detect_incremental(days[4:6], state)
    incremental, inputs = detect_incremental(days, state)  # absorbs only the last day
    assert [Path(i.path) for i in inputs] == days
    assert full.features["account_id"].tolist() == incremental.features["account_id"].tolist()
    for signal in SIGNALS:
        assert np.allclose(full.features[signal.name], incremental.features[signal.name], equal_nan=True), (
            signal
        )
    assert np.array_equal(full.scores.flagged, incremental.scores.flagged)
    assert full.scores.flagged.any()
    assert np.allclose(full.scores.score, incremental.scores.score)
    assert full.linkage.communities == incremental.linkage.communities


def test_state_holds_no_prompt_text_beyond_the_sample(days: list[Path], tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    detect_incremental(days[:2], tmp_path / "state")
    keys = pq.read_table(tmp_path / "state" / "prompt.parquet").column("prompt_key").to_pylist()
    assert keys and all(len(k) == 32 and all(c in "0123456789abcdef" for c in k) for k in keys)


def test_a_state_of_other_settings_is_refused(days: list[Path], tmp_path: Path) -> None:
    from distillgov.detect.parameters import DetectParameters

    detect_incremental(days[:1], tmp_path / "state")
    with pytest.raises(StateError, match="sample_per_account"):
        detect_incremental(days[:2], tmp_path / "state", DetectParameters(sample_per_account=8))


def test_cli_state_run_is_idempotent(days: list[Path], tmp_path: Path) -> None:
    args = ["detect", *map(str, days[:3]), "--state", str(tmp_path / "s"), "--quiet"]
    first = CliRunner().invoke(app, [*args, "--out", str(tmp_path / "a.json")])
    again = CliRunner().invoke(app, [*args, "--out", str(tmp_path / "b.json")])
    assert first.exit_code == 0 and again.exit_code == 0, first.output + again.output
    a, b = (json.loads((tmp_path / n).read_text()) for n in ("a.json", "b.json"))
    assert a["accounts"] == b["accounts"] and len(b["inputs"]) == 3
