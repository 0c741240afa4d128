"""Shared fixtures: one small simulated week, scored once per test run.

The seeds here (7301, 7302) were never used while developing detection (development used
101 and 102), and the simulator's labels are read only to *check* behaviour, never to set a
threshold: everything the detector decides comes from the traffic itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from distillgov.detect.engines import InputFile
from distillgov.detect.findings import build_findings
from distillgov.detect.pipeline import Analysis, detect
from distillgov.traffic.simulator import SimulationConfig, simulate

TEST_SEED = 7301
TEST_ROWS = 120_000


@dataclass
class Scored:
    traffic: Path
    labels: dict[str, dict[str, str | None]]
    analysis: Analysis
    inputs: list[InputFile]
    findings: dict


def simulate_week(out: Path, rows: int, seed: int, scenario: str = "default") -> Path:
    simulate(SimulationConfig(out=out, rows=rows, seed=seed, scenario=scenario, threads=2))
    return out


def read_labels(folder: Path) -> dict[str, dict[str, str | None]]:
    return {r["account_id"]: r for r in pq.read_table(folder / "labels.parquet").to_pylist()}


@pytest.fixture(scope="session")
def week(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return simulate_week(tmp_path_factory.mktemp("week"), TEST_ROWS, TEST_SEED)


@pytest.fixture(scope="session")
def scored(week: Path) -> Scored:
    traffic = week / "exchanges.parquet"
    analysis, inputs = detect([traffic])
    findings = build_findings(analysis, [i.as_dict() for i in inputs], {"engine": "duckdb"})
    return Scored(traffic, read_labels(week), analysis, inputs, findings)
