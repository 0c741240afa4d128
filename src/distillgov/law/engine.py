"""Default logic over three-valued facts: the semantics of the rulebooks.

Catala's reading of legislation: a base rule holds unless one of its labelled exceptions applies;
exceptions are considered first and win. Two rules of the same rank that both apply with
*different* conclusions are a conflict, reported as such; when no rule applies the answer is
"no rule applies", never a default. (Unlike Catala, two same-rank rules that reach the *same*
conclusion are concurring grounds, both cited, not a conflict: cumulative grounds are ordinary in
legal reasoning.)

Unknown facts are handled by computing the *set* of conclusions the rules could reach: a rule whose
condition is unknown contributes both its conclusion and "no value". The answer is certain when
that set has one member. Kleene logic treats separate unknowns as independent, so the set can only
over-approximate what full case analysis would give: the engine may call an answer uncertain that
a cleverer one would settle, but never the reverse.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from functools import reduce

from distillgov.law.evaluate import NONE, Deps, Trace, merge, truth
from distillgov.law.facts import UNKNOWN, Facts
from distillgov.law.params import ParameterNotInForceError, ParameterSet, ResolvedParameter
from distillgov.law.rulebook import Library, Predicate, Rule
from distillgov.law.tristate import Tri

NO_VALUE = "<no rule applies>"
CONFLICT = "<conflict>"
UNCERTAIN = "uncertain"


def _join(a: str, b: str) -> str:
    """Two same-rank outcomes: no value is neutral, a conflict absorbs, disagreement conflicts."""
    if a == NO_VALUE:
        return b
    if b == NO_VALUE or a == b:
        return a
    return CONFLICT


def combine(sets: Iterable[frozenset[str]]) -> frozenset[str]:
    """Every outcome of same-rank rules, given the outcomes each may have."""
    return reduce(lambda acc, s: frozenset(_join(a, b) for a in acc for b in s), sets, frozenset({NO_VALUE}))


@dataclass(frozen=True)
class RuleResult:
    """One rule's condition and what it, with its exceptions, can conclude."""

    rule: Rule
    condition: Tri
    unknowns: Deps
    trace: Trace
    exceptions: frozenset[str]
    outcomes: frozenset[str]

    @property
    def status(self) -> str:
        """applies / does_not_apply / overridden / may_apply, for this rule's own conclusion."""
        if self.condition is Tri.FALSE:
            return "does_not_apply"
        if NO_VALUE not in self.exceptions:
            return "overridden"
        if self.condition is Tri.TRUE and self.exceptions == {NO_VALUE}:
            return "applies"
        return "may_apply"


@dataclass(frozen=True)
class Outcome:
    """A predicate's answer: the conclusions its rules can reach, and why."""

    predicate: Predicate
    values: frozenset[str]
    depends_on: Deps
    results: Mapping[str, RuleResult]

    @property
    def certain(self) -> bool:
        return len(self.values) == 1

    @property
    def answer(self) -> str:
        """The single conclusion, NO_VALUE, CONFLICT, or UNCERTAIN when the facts leave it open."""
        return next(iter(self.values)) if self.certain else UNCERTAIN

    @property
    def basis(self) -> str:
        """Why the answer is what it is: decided, facts (unknown), doctrine (unsettled), conflict, no_rule."""
        if not self.certain:
            return "facts"
        value = self.answer
        if value == NO_VALUE:
            return "no_rule"
        if value == CONFLICT:
            return "conflict"
        return "doctrine" if value == UNCERTAIN else "decided"


class Evaluator:
    """Evaluates a library's predicates over one set of facts, memoising each predicate."""

    def __init__(self, library: Library, facts: Facts, parameters: ParameterSet, as_of: date) -> None:
        self.library = library
        self.facts = facts
        self.parameters = parameters
        self.as_of = as_of
        self._outcomes: dict[str, Outcome] = {}
        self.resolved: dict[str, ResolvedParameter | None] = {}

    # -- Environment ------------------------------------------------------------------------
    def fact(self, path: str) -> object:
        return self.facts.get(path)

    def param(self, name: str) -> object:
        if name not in self.resolved:
            try:
                self.resolved[name] = self.parameters.at(name, self.as_of)
            except ParameterNotInForceError:
                self.resolved[name] = None
        found = self.resolved[name]
        return UNKNOWN if found is None else found.value

    def conclusion(self, predicate: str) -> tuple[frozenset[str], Deps]:
        found = self.outcome(predicate)
        return found.values, found.depends_on

    # -- Default logic ----------------------------------------------------------------------
    def evaluated(self) -> list[Outcome]:
        """Every predicate evaluated so far (rules whose conditions were never needed are absent)."""
        return list(self._outcomes.values())

    def outcome(self, name: str) -> Outcome:
        if name not in self._outcomes:
            self._outcomes[name] = self._evaluate(self.library.predicates[name])
        return self._outcomes[name]

    def _evaluate(self, predicate: Predicate) -> Outcome:
        conditions: dict[str, tuple[Tri, Deps, Trace]] = {}
        for rule in predicate.rules:
            trace = Trace()
            value, deps = truth(rule.condition, self, trace)
            conditions[rule.id] = (value, deps, trace)
        results: dict[str, RuleResult] = {}

        def visit(rule: Rule) -> frozenset[str]:
            if rule.id not in results:
                exceptions = combine(visit(e) for e in predicate.exceptions_of(rule.id))
                value, deps, trace = conditions[rule.id]
                own = {
                    Tri.TRUE: frozenset({rule.conclusion}),
                    Tri.FALSE: frozenset({NO_VALUE}),
                    Tri.UNKNOWN: frozenset({rule.conclusion, NO_VALUE}),
                }[value]
                outcomes = frozenset(x for e in exceptions for x in (own if e == NO_VALUE else {e}))
                results[rule.id] = RuleResult(rule, value, deps, trace, exceptions, outcomes)
            return results[rule.id].outcomes

        values = combine(visit(root) for root in predicate.roots)
        for rule in predicate.rules:
            visit(rule)
        depends_on = NONE
        if len(values) > 1:
            depends_on = merge(
                results[r.id].unknowns
                for r in predicate.rules
                if conditions[r.id][0] is Tri.UNKNOWN and NO_VALUE in results[r.id].exceptions
            )
        ordered = {r.id: results[r.id] for r in predicate.rules}
        return Outcome(predicate, values, depends_on, ordered)


def contributors(outcome: Outcome) -> list[RuleResult]:
    """The rules that produce (or may produce) the outcome's conclusions, exceptions before bases."""
    predicate = outcome.predicate
    found: list[RuleResult] = []

    def visit(rule: Rule) -> None:
        result = outcome.results[rule.id]
        for exception in predicate.exceptions_of(rule.id):
            if outcome.results[exception.id].outcomes != {NO_VALUE}:
                visit(exception)
        if result.status in ("applies", "may_apply") and result not in found:
            found.append(result)

    for root in predicate.roots:
        if outcome.results[root.id].outcomes != {NO_VALUE}:
            visit(root)
    if outcome.certain:
        decisive = [r for r in found if r.status == "applies"]
        return decisive or found
    return found
