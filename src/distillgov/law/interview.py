"""The interview: ask only for the facts the rules still need, most important first.

Docassemble's idea, done with the engine itself: evaluate what is known, look at the answers that
are still uncertain *because a fact is unknown*, and ask for the first such fact in report order
(trade secret before contract before copyright; classification before harbors). Each answer is
fed back and the rules re-evaluated, so a question that has become irrelevant is never asked.
An answer of "unknown" is accepted and not asked again; an answer that is impossible together
with the facts already given is refused and the question asked again.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date

from distillgov.law.assess import answer_predicates, run
from distillgov.law.facts import Facts, FactsError, Field, schema, validate
from distillgov.law.params import ParameterSet


def next_question(
    facts: Facts,
    asked: set[str],
    *,
    regimes: Sequence[str],
    as_of: date | None,
    parameters: ParameterSet | None,
) -> Field | None:
    """The most important fact that an uncertain answer depends on and nobody has been asked."""
    evaluator = run(facts, as_of=as_of, regimes=regimes, parameters=parameters).evaluator
    for predicate in answer_predicates(regimes):
        for dependency in evaluator.outcome(predicate).depends_on:
            if dependency in schema().fields and dependency not in asked:
                return schema().fields[dependency]
    return None


def interview(
    facts: Facts,
    ask: Callable[[Field], object],
    warn: Callable[[list[str]], None],
    *,
    regimes: Sequence[str],
    as_of: date | None = None,
    parameters: ParameterSet | None = None,
) -> Facts:
    """Ask until no uncertain answer depends on an unasked fact; returns the completed facts."""
    asked = set(facts.values)
    while (
        field := next_question(facts, asked, regimes=regimes, as_of=as_of, parameters=parameters)
    ) is not None:
        asked.add(field.path)
        while True:
            try:
                facts = validate(facts.with_value(field.path, ask(field)).nested())
                break
            except FactsError as exc:
                warn(exc.problems)
    return facts
