"""Every scenario, run against both rulebooks, reaches the conclusions its file states."""

from __future__ import annotations

import pytest

from distillgov.law.assess import report

from .scenarios import applied, load, lookup, names

REGIMES = ("current_us", "proposed")


@pytest.mark.parametrize("name", names())
def test_scenario_conclusions(name: str) -> None:
    scenario = load(name)
    result = scenario.report()
    for regime in REGIMES:
        assert regime in scenario.expect, f"{name} states no expectation under {regime}"
        for key, expected in scenario.expect[regime].items():
            assert lookup(result[regime], key) == expected, f"{name}: {regime}.{key}"


@pytest.mark.parametrize("name", names())
def test_scenario_rules_fired(name: str) -> None:
    scenario = load(name)
    assessment = scenario.assessment()
    report(assessment)  # the report evaluates every answer the contract names
    missing = sorted(set(scenario.rules_fired) - applied(assessment))
    assert not missing, f"{name}: expected rules did not apply: {missing}"


@pytest.mark.parametrize("name", names())
def test_scenario_dependencies_are_named(name: str) -> None:
    scenario = load(name)
    result = scenario.report()
    for regime, expected in scenario.depends_on.items():
        stated = {u["answer_key"]: u.get("depends_on", []) for u in result[regime]["uncertainties"]}
        for key, facts in expected.items():
            assert set(facts) <= set(stated.get(key, [])), (
                f"{name}: {regime}.{key} depends on {stated.get(key)}"
            )
