"""Loading scenario files: facts, date and expectations, with `extends` for variants.

A variant names its base with `extends` and restates only what changes; facts are merged field by
field (a null removes a field), while expectations are never inherited, so every scenario states
the conclusions it checks.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from distillgov.law.assess import Assessment, report, run
from distillgov.law.facts import validate

SCENARIOS = Path(__file__).parent / "scenarios"


@dataclass(frozen=True)
class Scenario:
    name: str
    description: str
    as_of: date
    facts: dict[str, Any]
    expect: dict[str, dict[str, Any]]
    depends_on: dict[str, dict[str, list[str]]]
    rules_fired: list[str]

    def assessment(self) -> Assessment:
        return run(validate(self.facts), as_of=self.as_of)

    def report(self) -> dict[str, Any]:
        return report(self.assessment())


def _merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _raw(name: str) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((SCENARIOS / f"{name}.yaml").read_text(encoding="utf-8"))
    if "extends" not in data:
        return data
    base = _raw(data["extends"])
    return {
        **data,
        "facts": _merge(base.get("facts", {}), data.get("facts", {})),
        "as_of": data.get("as_of", base.get("as_of")),
    }


def load(name: str) -> Scenario:
    raw = _raw(name)
    return Scenario(
        name=name,
        description=" ".join(str(raw["description"]).split()),
        as_of=raw["as_of"],
        facts=raw["facts"],
        expect=raw["expect"],
        depends_on=raw.get("depends_on", {}),
        rules_fired=raw.get("rules_fired", []),
    )


def names() -> list[str]:
    return sorted(p.stem for p in SCENARIOS.glob("*.yaml") if not p.stem.startswith("_"))


def lookup(block: dict[str, Any], key: str) -> Any:
    node: Any = block
    for part in key.split("."):
        node = node[part]
    return node


def applied(assessment: Assessment) -> set[str]:
    """Rules whose condition held (and that no exception overrode) anywhere in the evaluation."""
    return {
        rule_id
        for outcome in assessment.evaluator.evaluated()
        for rule_id, result in outcome.results.items()
        if result.status == "applies"
    }
