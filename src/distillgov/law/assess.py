"""One assessment: facts in, the JSON report (a contract shared with other stages) out.

The report carries, next to every answer, what it rests on: the justification tree, the rulebooks'
versions and hashes, the parameters with their UNSOURCED flags, the facts' hash, and the tool. The
mapping from predicates to report fields lives here, in one table per regime, because the report's
shape is a contract while the rulebooks are free to grow.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from distillgov.law.clauses import clauses
from distillgov.law.engine import UNCERTAIN, Evaluator, Outcome
from distillgov.law.facts import Facts
from distillgov.law.justification import explain, public_answer
from distillgov.law.params import (
    ParameterNotInForceError,
    ParameterSet,
    levy_terms,
    license_window,
    load_parameters,
)
from distillgov.law.rulebook import Library, shipped_library
from distillgov.provenance import tool_block

REGIMES = ("current_us", "proposed")

# (report path, predicate): the order is the order of the memo and of the interview's questions.
CURRENT_US_ANSWERS: tuple[tuple[str, str], ...] = (
    ("trade_secret.protectable", "ts.protectable"),
    ("trade_secret.improper_means", "ts.improper_means"),
    ("trade_secret.reverse_engineering_defense", "ts.reverse_engineering"),
    ("trade_secret.downstream_knowledge", "ts.downstream_knowledge"),
    ("trade_secret.misappropriation", "ts.misappropriation"),
    ("contract.bound", "contract.covenant_binds"),
    ("contract.within_terms", "contract.scope"),
    ("contract.enforceable", "contract.enforceable"),
    ("contract.breach", "contract.breach"),
    ("copyright.infringement", "copyright.infringement"),
    ("patent.reach", "patent.reach"),
)
HARBORS = (
    "reverse_engineering",
    "non_commercial_research",
    "accountability_audit",
    "transformative_fair_use",
)
CONDITIONS = ("transparency", "privacy", "safety")
PROPOSED_ANSWERS: tuple[tuple[str, str], ...] = (
    ("classification", "p.classification"),
    *((f"safe_harbors.{h}", f"p.harbor.{h}") for h in HARBORS),
    *((f"conditions.{c}", f"p.condition.{c}") for c in CONDITIONS),
    ("immunity.granted", "p.immunity"),
    ("compulsory_license.applies", "p.compulsory_license"),
    ("compulsory_license.window_open", "p.window_open"),
    ("levy.due", "p.levy_due"),
)
ANSWERS = {"current_us": CURRENT_US_ANSWERS, "proposed": PROPOSED_ANSWERS}


@dataclass(frozen=True)
class Assessment:
    """Everything one assessment used: enough to rebuild the report or ask the next question."""

    facts: Facts
    as_of: date
    as_of_source: str
    regimes: tuple[str, ...]
    evaluator: Evaluator
    facts_sha256: str
    facts_hashed: str


def canonical_sha256(facts: Facts) -> str:
    """Hash of the facts themselves, for facts that never lay in a file (the interview)."""
    payload = json.dumps(facts.nested(), sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def run(
    facts: Facts,
    *,
    as_of: date | None = None,
    regimes: Sequence[str] = REGIMES,
    parameters: ParameterSet | None = None,
    library: Library | None = None,
    facts_sha256: str | None = None,
) -> Assessment:
    """Evaluate the facts at a date: the `as_of` argument, else the facts' own, else today."""
    given = facts.get("as_of")
    if as_of is not None:
        when, source = as_of, "option"
    elif isinstance(given, date):
        when, source = given, "facts"
    else:
        when, source = date.today(), "today"
    evaluator = Evaluator(
        library or shipped_library(), facts.with_value("as_of", when), parameters or load_parameters(), when
    )
    hashed = "file" if facts_sha256 else "canonical_json"
    return Assessment(
        facts, when, source, tuple(regimes), evaluator, facts_sha256 or canonical_sha256(facts), hashed
    )


def report(assessment: Assessment) -> dict[str, Any]:
    """The JSON report (see docs/law.md for every field and its values)."""
    evaluator = assessment.evaluator
    out: dict[str, Any] = {
        "tool": tool_block(),
        "as_of": assessment.as_of.isoformat(),
        "as_of_source": assessment.as_of_source,
        "facts_sha256": assessment.facts_sha256,
        "facts_hashed": assessment.facts_hashed,
        "facts": _jsonable(assessment.facts.nested()),
    }
    blocks = {"current_us": _current_us, "proposed": _proposed}
    for regime in assessment.regimes:
        out[regime] = blocks[regime](assessment)
    out["rulebooks"] = [
        rb.provenance() for regime in assessment.regimes for rb in evaluator.library.closure(regime)
    ]
    out["rulebooks"] = list({rb["name"]: rb for rb in out["rulebooks"]}.values())
    out["parameters"] = {
        "sources": list(evaluator.parameters.sources),
        "used": [p.as_dict() for p in evaluator.resolved.values() if p is not None],
        "not_in_force": [name for name, p in evaluator.resolved.items() if p is None],
    }
    return out


def _current_us(assessment: Assessment) -> dict[str, Any]:
    block = _answers(assessment.evaluator, CURRENT_US_ANSWERS)
    clause_id = assessment.facts.get("teacher.terms_of_service.clause")
    if isinstance(clause_id, str):
        block["contract"]["terms_of_service_clause"] = clauses()[clause_id].as_dict()
    return block


def _proposed(assessment: Assessment) -> dict[str, Any]:
    evaluator = assessment.evaluator
    block = _answers(evaluator, PROPOSED_ANSWERS)
    harbors = block.pop("safe_harbors")
    conditions = block.pop("conditions")
    block["safe_harbors"] = [h for h in HARBORS if harbors[h] == "applies"]
    block["safe_harbors_uncertain"] = [h for h in HARBORS if harbors[h] == UNCERTAIN]
    block["immunity"]["unmet_conditions"] = [c for c in CONDITIONS if conditions[c] == "failed"]
    block["immunity"]["conditions"] = conditions
    block["compulsory_license"]["window_ends"] = None
    block["levy"]["base"] = block["levy"]["rate"] = None
    release = assessment.facts.get("teacher.release_date")
    try:
        if block["compulsory_license"]["applies"] == "applies" and isinstance(release, date):
            window = license_window(release, assessment.as_of, evaluator.parameters)
            evaluator.resolved.setdefault(window.months.name, window.months)
            block["compulsory_license"]["window_ends"] = window.ends.isoformat()
        if block["levy"]["due"] in ("yes", UNCERTAIN):
            terms = levy_terms(assessment.as_of, evaluator.parameters)
            for resolved in (terms.base, terms.rate):
                evaluator.resolved.setdefault(resolved.name, resolved)
            block["levy"]["base"], block["levy"]["rate"] = terms.base.value, terms.rate.value
    except ParameterNotInForceError:
        pass  # The answers already say which parameter is missing (depends_on "param:...").
    return block


def _answers(evaluator: Evaluator, answers: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """Answers nested by report path, with the justification, uncertainties and assumptions."""
    block: dict[str, Any] = {}
    justification: list[dict[str, Any]] = []
    uncertainties: list[dict[str, Any]] = []
    no_rule: list[str] = []
    for key, predicate in answers:
        outcome = evaluator.outcome(predicate)
        group, _, leaf = key.rpartition(".")
        target = block.setdefault(group, {}) if group else block
        target[leaf] = public_answer(outcome)
        nodes = explain(evaluator, predicate)
        for node in nodes:
            node["answer_key"] = key
        justification.extend(nodes)
        if outcome.basis == "no_rule":
            no_rule.append(key)
        elif outcome.basis != "decided":
            uncertainties.append(_uncertainty(key, outcome, nodes))
    block["uncertainties"] = uncertainties
    block["no_rule_applies"] = no_rule
    block["assumptions"] = _readings(justification)
    block["justification"] = justification
    return block


def _uncertainty(key: str, outcome: Outcome, nodes: list[dict[str, Any]]) -> dict[str, Any]:
    entry: dict[str, Any] = {"answer_key": key, "predicate": outcome.predicate.name, "basis": outcome.basis}
    if outcome.basis == "facts":
        entry["depends_on"] = list(outcome.depends_on)
    else:
        entry["rules"] = [n["rule"] for n in nodes if n["rule"]]
    return entry


def _readings(nodes: list[dict[str, Any]]) -> list[dict[str, str]]:
    """Every reading (assumption) a rule in the tree relied on, once."""
    found: dict[str, dict[str, str]] = {}

    def visit(node: dict[str, Any]) -> None:
        for entry in node["citation"]:
            if entry.get("assumption"):
                found.setdefault(entry["text"], {"rule": node["rule"], "text": entry["text"]})
        for child in node["children"]:
            visit(child)

    for node in nodes:
        visit(node)
    return list(found.values())


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    return value.isoformat() if isinstance(value, date) else value


def answer_predicates(regimes: Sequence[str]) -> list[str]:
    """The predicates whose answers the report gives, in report order."""
    return [predicate for regime in regimes for _, predicate in ANSWERS[regime]]
