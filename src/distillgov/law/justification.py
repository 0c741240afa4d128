"""Justification trees: why each answer is what it is, in the rule's own words.

In the manner of s(CASP)'s `#pred` templates, every rule carries a sentence with placeholders for
the facts, parameters and sub-conclusions it uses; a node renders that sentence with the values
actually used, cites the rule's sources, lists the facts read (unknown ones included), the
exceptions that were weighed, and, as children, the reasoning for every predicate the rule relied
on. An unsourced parameter is printed with its UNSOURCED flag wherever a sentence uses it.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from distillgov.law.engine import CONFLICT, NO_VALUE, Evaluator, Outcome, RuleResult, contributors
from distillgov.law.facts import UNKNOWN

_PLACEHOLDER = re.compile(r"\{([^{}]+)\}")


def public_answer(outcome: Outcome) -> str | None:
    """The answer as reports print it: None when no rule applies (Catala's empty value)."""
    answer = outcome.answer
    if answer == NO_VALUE:
        return None
    return "conflict" if answer == CONFLICT else answer


def show(value: object) -> Any:
    """A fact's value as JSON can carry it."""
    if value is UNKNOWN:
        return "unknown"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, tuple):
        return list(value)
    return value


def _words(value: object) -> str:
    """A value as a sentence reads it."""
    if value is UNKNOWN:
        return "unknown"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, tuple):
        return ", ".join(str(v).replace("_", " ") for v in value) or "none"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.2f}".rstrip("0").rstrip(".")
    if isinstance(value, date):
        return value.isoformat()
    return str(value).replace("_", " ") if str(value).islower() else str(value)


def render(template: str, evaluator: Evaluator) -> str:
    """A rule's sentence with its placeholders filled from the facts, parameters and conclusions."""

    def fill(match: re.Match[str]) -> str:
        name, _, default = match.group(1).partition("|")
        if name.startswith("param:"):
            evaluator.param(name[6:])
            resolved = evaluator.resolved.get(name[6:])
            return resolved.show() if resolved else "[no value in force]"
        if name.startswith("@"):
            answer = public_answer(evaluator.outcome(name[1:]))
            return (answer or "no rule applies").replace("_", " ")
        value = evaluator.fact(name)
        if value is UNKNOWN and default:
            return default
        return _words(value)

    return _PLACEHOLDER.sub(fill, template)


def explain(evaluator: Evaluator, predicate: str) -> list[dict[str, Any]]:
    """The justification nodes for one predicate's answer."""
    outcome = evaluator.outcome(predicate)
    if outcome.answer == NO_VALUE:
        return [_no_rule_node(evaluator, outcome)]
    nodes = [_rule_node(evaluator, outcome, result) for result in contributors(outcome)]
    if outcome.answer == CONFLICT:
        for node in nodes:
            node["status"] = "conflict"
    return nodes


def _common(outcome: Outcome) -> dict[str, Any]:
    return {
        "predicate": outcome.predicate.name,
        "question": outcome.predicate.question,
        "answer": public_answer(outcome),
        "basis": outcome.basis,
        "depends_on": list(outcome.depends_on),
    }


def _rule_node(evaluator: Evaluator, outcome: Outcome, result: RuleResult) -> dict[str, Any]:
    rule = result.rule
    return {
        **_common(outcome),
        "rule": rule.id,
        "status": result.status,
        "conclusion": rule.conclusion,
        "sentence": render(rule.template, evaluator),
        "citation": [entry.as_dict() for entry in rule.citation],
        "facts_used": {path: show(value) for path, value in result.trace.facts.items()},
        "unknown_facts": list(result.unknowns),
        "parameters_used": [_parameter(evaluator, name) for name in result.trace.params],
        "exceptions_considered": [
            _exception(outcome.results[e.id]) for e in outcome.predicate.exceptions_of(rule.id)
        ],
        "children": [node for name in result.trace.predicates for node in explain(evaluator, name)],
    }


def _exception(result: RuleResult) -> dict[str, Any]:
    """An exception weighed against a rule, with the facts that decided it."""
    return {
        "rule": result.rule.id,
        "conclusion": result.rule.conclusion,
        "status": result.status,
        "facts_used": {path: show(value) for path, value in result.trace.facts.items()},
        "predicates_used": list(result.trace.predicates),
    }


def _no_rule_node(evaluator: Evaluator, outcome: Outcome) -> dict[str, Any]:
    return {
        **_common(outcome),
        "rule": None,
        "status": "no_rule_applies",
        "conclusion": None,
        "sentence": f"No rule of {outcome.predicate.name} applies to these facts.",
        "citation": [],
        "facts_used": {},
        "unknown_facts": [],
        "parameters_used": [],
        "exceptions_considered": [_exception(r) for r in outcome.results.values()],
        "children": [],
    }


def _parameter(evaluator: Evaluator, name: str) -> dict[str, Any]:
    evaluator.param(name)
    resolved = evaluator.resolved.get(name)
    if resolved is None:
        return {"name": name, "value": None, "in_force": False, "unsourced": None}
    return {**resolved.as_dict(), "in_force": True}
