"""Default-logic semantics on small rulebooks written for the test (Catala's reading, three-valued)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from textwrap import dedent

import pytest

from distillgov.law.engine import CONFLICT, NO_VALUE, UNCERTAIN, Evaluator, combine
from distillgov.law.facts import Facts
from distillgov.law.params import load_parameters
from distillgov.law.rulebook import Library, RulebookError, load_library

RULEBOOK = """
rulebook: toy
title: Toy
version: "1"
predicates:
  toy.answer:
    question: What?
    values: [base, special, other]
    rules:
{rules}
"""


def _rule(rule_id: str, conclusion: str, condition: str, exception_to: str = "[]") -> str:
    return dedent(
        f"""\
        - id: {rule_id}
          conclusion: {conclusion}
          condition: '{condition}'
          template: "{rule_id} holds."
          exception_to: {exception_to}
          citation: [{{authority: seed_guan}}]
        """
    )


def library(tmp_path: Path, *rules: str) -> Library:
    body = "".join(rules).replace("\n", "\n      ")
    path = tmp_path / "toy.yaml"
    path.write_text(RULEBOOK.format(rules="      " + body), encoding="utf-8")
    return load_library([path])


def answer(lib: Library, **facts: object) -> tuple[str, tuple[str, ...]]:
    values = {f"conduct.{k}": v for k, v in facts.items()}
    outcome = Evaluator(lib, Facts(values), load_parameters(), date(2026, 1, 1)).outcome("toy.answer")
    return outcome.answer, outcome.depends_on


BASE = _rule("toy.base", "base", "true")
SPECIAL = _rule("toy.special", "special", "conduct.misrepresentation", "[toy.base]")


def test_an_exception_that_applies_wins_over_its_base(tmp_path: Path) -> None:
    lib = library(tmp_path, BASE, SPECIAL)
    assert answer(lib, misrepresentation=True)[0] == "special"
    assert answer(lib, misrepresentation=False)[0] == "base"


def test_an_unknown_exception_makes_the_answer_uncertain_and_names_the_fact(tmp_path: Path) -> None:
    assert answer(library(tmp_path, BASE, SPECIAL)) == (UNCERTAIN, ("conduct.misrepresentation",))


def test_two_same_rank_rules_that_disagree_are_a_conflict(tmp_path: Path) -> None:
    lib = library(tmp_path, BASE, _rule("toy.rival", "other", "conduct.circumvented_access_controls"))
    assert answer(lib, circumvented_access_controls=True)[0] == CONFLICT


def test_two_same_rank_rules_that_agree_are_concurring_grounds(tmp_path: Path) -> None:
    lib = library(tmp_path, BASE, _rule("toy.also", "base", "conduct.circumvented_access_controls"))
    assert answer(lib, circumvented_access_controls=True)[0] == "base"


def test_two_applicable_exceptions_that_disagree_are_a_conflict(tmp_path: Path) -> None:
    lib = library(
        tmp_path,
        BASE,
        SPECIAL,
        _rule("toy.other", "other", "conduct.circumvented_access_controls", "[toy.base]"),
    )
    assert answer(lib, misrepresentation=True, circumvented_access_controls=True)[0] == CONFLICT


def test_when_no_rule_applies_the_answer_is_empty_not_a_guess(tmp_path: Path) -> None:
    lib = library(tmp_path, _rule("toy.only", "base", "conduct.misrepresentation"))
    assert answer(lib, misrepresentation=False)[0] == NO_VALUE


def test_exceptions_apply_whatever_their_base_condition_says(tmp_path: Path) -> None:
    """Catala: an exception is considered first and needs nothing from its base rule."""
    lib = library(tmp_path, _rule("toy.base", "base", "false"), SPECIAL)
    assert answer(lib, misrepresentation=True)[0] == "special"


def test_an_exception_to_an_exception_wins_over_both(tmp_path: Path) -> None:
    deeper = _rule("toy.deeper", "other", "conduct.circumvented_access_controls", "[toy.special]")
    lib = library(tmp_path, BASE, SPECIAL, deeper)
    assert answer(lib, misrepresentation=True, circumvented_access_controls=True)[0] == "other"


def test_combine_is_neutral_on_no_value_and_absorbing_on_conflict() -> None:
    assert combine([frozenset({NO_VALUE}), frozenset({"a"})]) == {"a"}
    assert combine([frozenset({"a"}), frozenset({"b"})]) == {CONFLICT}
    assert combine([frozenset({"a", NO_VALUE}), frozenset({"a"})]) == {"a"}
    assert combine([frozenset({CONFLICT}), frozenset({NO_VALUE})]) == {CONFLICT}


@pytest.mark.parametrize(
    ("rule", "problem"),
    [
        (_rule("toy.bad", "base", "conduct.nonexistent"), "unknown fact conduct.nonexistent"),
        (_rule("toy.bad", "base", 'conduct.method == "api"'), "'api' is not one of"),
        (_rule("toy.bad", "base", "conduct.queries == as_of"), "cannot compare a number with a date"),
        (_rule("toy.bad", "nonsense", "true"), "conclusion 'nonsense' is not one of"),
        (_rule("toy.bad", "base", "true", "[toy.missing]"), "not a rule of toy.answer"),
        (_rule("toy.bad", "base", '@toy.nothing == "x"'), "unknown predicate @toy.nothing"),
        (_rule("toy.bad", "base", "param(nothing.here) > 1"), "unknown parameter param(nothing.here)"),
        (_rule("toy.bad", "base", "conduct.queries"), "a condition must be true or false, not a number"),
        (_rule("toy.bad", "base", "conduct.method"), "a condition must be true or false"),
        (_rule("toy.bad", "base", "conduct.method == "), "unexpected end of condition"),
    ],
)
def test_a_broken_rule_stops_the_rulebook_loading(tmp_path: Path, rule: str, problem: str) -> None:
    with pytest.raises(RulebookError) as caught:
        library(tmp_path, rule)
    assert any(problem in p for p in caught.value.problems), caught.value.problems


def test_exception_cycles_are_refused(tmp_path: Path) -> None:
    with pytest.raises(RulebookError, match="cycle"):
        library(
            tmp_path, _rule("toy.a", "base", "true", "[toy.b]"), _rule("toy.b", "other", "true", "[toy.a]")
        )


def test_citations_must_name_known_authorities(tmp_path: Path) -> None:
    rule = _rule("toy.a", "base", "true").replace("seed_guan", "no_such_case")
    with pytest.raises(RulebookError, match="unknown authority"):
        library(tmp_path, rule)
