"""Properties that must hold for all facts, not just the scenarios."""

from __future__ import annotations

from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from distillgov.law.assess import answer_predicates, report, run
from distillgov.law.engine import CONFLICT, NO_VALUE
from distillgov.law.facts import UNKNOWN, Facts
from distillgov.law.rulebook import shipped_library

from .strategies import full_facts, partial_facts

AS_OF = date(2026, 6, 1)
REGIMES = ("current_us", "proposed")
# No value unless the compulsory licence applies / unless the party is a downstream user.
GATED = {"p.window_open", "ts.downstream_knowledge"}
CONDITION_FAILURES = {
    "transparency": ("obligations.transparency_disclosure", "not_filed"),
    "privacy": ("obligations.privacy_safeguards", False),
    "safety": ("obligations.safety_evaluation", False),
}
examples = settings(max_examples=100, deadline=None)


def _evaluator(facts: Facts):  # type: ignore[no-untyped-def]
    return run(facts, as_of=AS_OF).evaluator


@examples
@given(full_facts())
def test_known_facts_always_get_exactly_one_classification(facts: Facts) -> None:
    evaluator = _evaluator(facts)
    classification = evaluator.outcome("p.classification")
    assert classification.certain
    assert classification.answer in ("authorized", "independent", "illicit")
    authorized = evaluator.outcome("def.authorized").answer == "yes"
    illicit = evaluator.outcome("p.illicit_means").answer == "yes"
    assert (classification.answer == "illicit") == illicit
    assert (classification.answer == "authorized") == (authorized and not illicit)


@examples
@given(partial_facts())
def test_no_facts_are_both_authorized_and_illicit(facts: Facts) -> None:
    classification = _evaluator(facts).outcome("p.classification")
    assert classification.answer != CONFLICT
    assert not (classification.certain and classification.answer == NO_VALUE)


@examples
@given(full_facts())
def test_rulebooks_have_no_gaps_or_conflicts_on_known_facts(facts: Facts) -> None:
    evaluator = _evaluator(facts)
    for predicate in answer_predicates(REGIMES):
        outcome = evaluator.outcome(predicate)
        assert outcome.certain, predicate
        if predicate not in GATED:
            assert outcome.answer != NO_VALUE, predicate
    for predicate in shipped_library().predicates:
        assert evaluator.outcome(predicate).answer != CONFLICT, predicate


@examples
@given(partial_facts(), st.sampled_from(sorted(CONDITION_FAILURES)))
def test_a_failed_condition_always_removes_the_immunity(facts: Facts, condition: str) -> None:
    path, failing = CONDITION_FAILURES[condition]
    result = report(run(facts.with_value(path, failing), as_of=AS_OF, regimes=("proposed",)))
    assert result["proposed"]["immunity"]["granted"] == "does_not_apply"
    assert condition in result["proposed"]["immunity"]["unmet_conditions"]


@examples
@given(partial_facts(), st.data())
def test_forgetting_a_fact_never_makes_an_answer_more_certain(facts: Facts, data: st.DataObject) -> None:
    known = sorted(path for path in facts.values if path != "as_of")
    if not known:
        return
    forgotten = data.draw(st.sampled_from(known))
    before = _evaluator(facts)
    after = _evaluator(facts.with_value(forgotten, UNKNOWN))
    for predicate in shipped_library().predicates:
        was, now = before.outcome(predicate), after.outcome(predicate)
        assert was.values <= now.values, (predicate, forgotten)
        if not was.certain:
            assert not now.certain, (predicate, forgotten)
