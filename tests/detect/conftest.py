"""Shared fixtures: one small simulated week, scored once per test run.

The seeds here (7301, 7302) were never used while developing detection (development used
101 and 102), and the simulator's labels are read only to *check* behaviour, never to set a
threshold: everything the detector decides comes from the traffic itself.
"""

from __future__ import annotations

from collections import Counter
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


# Campaign styles (simulator populations.py, `_campaign_styles` and PARAPHRASE) whose own traffic
# has harvesting shape by construction: they ask for long answers (high max_tokens) to reasoning,
# code, agentic or paraphrased questions. The others - short labels, replayed chats, a bot looping
# short labels - ask what applications and people ask, so only their linkage can give them away.
HARVESTING_STYLES = frozenset(
    {"reasoning-traces", "plain-questions", "code", "agent-traces", "paraphrase-waves", "paraphrase-steady"}
)
SHAPELESS_STYLES = frozenset({"short-labels", "chat-replay", "clockwork-labels"})
# Campaign evidence needs a shared card or key serving more accounts than such a value serves
# elsewhere in the traffic; two accounts on one card is what households and small teams do.
LINKABLE_CAMPAIGN_SIZE = 3


def campaign_sizes(labels: dict[str, dict[str, str | None]]) -> Counter[str]:
    return Counter(str(r["campaign_id"]) for r in labels.values() if r["campaign_id"] is not None)


def with_harvesting_evidence(labels: dict[str, dict[str, str | None]]) -> set[str]:
    """The accounts the simulator drew detectable by construction, read from labels only.

    An account of a harvesting style in a campaign large enough to be linked: it shows both the
    shape of harvesting and a crowd that shares it. Defined without the detector's output, so a
    test restricted to these accounts still fails when detection misses one of them.
    """
    sizes = campaign_sizes(labels)
    return {
        account
        for account, row in labels.items()
        if row["campaign_id"] is not None
        and row["behavior"] in HARVESTING_STYLES
        and sizes[str(row["campaign_id"])] >= LINKABLE_CAMPAIGN_SIZE
    }


@pytest.fixture(scope="session")
def week(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return simulate_week(tmp_path_factory.mktemp("week"), TEST_ROWS, TEST_SEED)


@pytest.fixture(scope="session")
def scored(week: Path) -> Scored:
    traffic = week / "exchanges.parquet"
    analysis, inputs = detect([traffic])
    findings = build_findings(analysis, [i.as_dict() for i in inputs], {"engine": "duckdb"})
    return Scored(traffic, read_labels(week), analysis, inputs, findings)
