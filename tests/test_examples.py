"""Examples are documentation that runs: every shipped facts file must assess cleanly under both regimes."""

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from distillgov.cli import app

EXAMPLES = sorted((Path(__file__).parents[1] / "examples" / "facts").glob("*.yaml"))


def test_there_are_examples() -> None:
    assert len(EXAMPLES) >= 3


@pytest.mark.parametrize("facts", EXAMPLES, ids=lambda p: p.stem)
def test_example_facts_assess_under_both_regimes(facts: Path) -> None:
    result = CliRunner().invoke(app, ["assess", str(facts), "--regime", "both", "--format", "json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["proposed"]["classification"] in {"authorized", "independent", "illicit", "uncertain"}
    assert report["current_us"]["trade_secret"]["misappropriation"] in {"likely", "unlikely", "uncertain"}
    assert report["current_us"]["justification"] and report["proposed"]["justification"]
