"""A second evaluator for the rulebooks: default logic in answer-set programming (clingo).

The leaves of each condition (comparisons over facts and parameters) are evaluated by the engine's
own code and handed to clingo as facts — true, or a free choice when unknown. Everything above the
leaves is translated: and/or/not, references to other predicates, exceptions overriding their base
rules, conflicts. Clingo then enumerates every way the unknown leaves can fall and reports which
conclusions each predicate can reach. Unlike the engine, it keeps one shared value per predicate in
each model, so its sets can only be smaller: equal when the facts decide the answer, a subset
otherwise. That subset relation is the soundness of the engine's Kleene over-approximation.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator

import clingo

from distillgov.law import expr
from distillgov.law.engine import CONFLICT, NO_VALUE, Evaluator
from distillgov.law.evaluate import Trace, truth
from distillgov.law.tristate import Tri

DEFAULT_LOGIC = """
applies(R) :- cond(R), not overridden(R).
overridden(R) :- exception(E, R), produces(E).
produces(R) :- applies(R).
produces(R) :- exception(E, R), produces(E).
value(P, V) :- applies(R), concl(R, P, V).
multi(P) :- value(P, V1), value(P, V2), V1 != V2.
outcome(P, V) :- value(P, V), not multi(P).
#show value/2.
#project value/2.
"""


def _q(text: str) -> str:
    return json.dumps(text)


class _Translator:
    def __init__(self, evaluator: Evaluator) -> None:
        self.evaluator = evaluator
        self.ids = itertools.count()
        self.lines: list[str] = []

    def node(self, node: expr.Expr) -> str:
        """An atom true exactly when the condition node is true."""
        atom = f"t({next(self.ids)})"
        if isinstance(node, expr.And):
            self.lines.append(f"{atom} :- {', '.join(self.node(o) for o in node.operands)}.")
        elif isinstance(node, expr.Or):
            self.lines.extend(f"{atom} :- {self.node(o)}." for o in node.operands)
        elif isinstance(node, expr.Not):
            self.lines.append(f"{atom} :- not {self.node(node.operand)}.")
        elif isinstance(node, expr.Compare) and isinstance(node.left, expr.Conclusion):
            positive = self._membership(node)
            self.lines.append(f"{atom} :- {'not ' if node.op in ('!=', 'not in') else ''}{positive}.")
        else:
            value, _ = truth(node, self.evaluator, Trace())
            if value is Tri.TRUE:
                self.lines.append(f"{atom}.")
            elif value is Tri.UNKNOWN:
                self.lines.append(f"{{ {atom} }}.")
        return atom

    def _membership(self, node: expr.Compare) -> str:
        assert isinstance(node.left, expr.Conclusion)
        right = node.right
        wanted = right.items if isinstance(right, expr.SetLiteral) else (str(getattr(right, "value", "")),)
        atom = f"t({next(self.ids)})"
        self.lines.extend(f"{atom} :- outcome({_q(node.left.predicate)}, {_q(v)})." for v in wanted)
        return atom

    def program(self) -> str:
        for predicate in self.evaluator.library.predicates.values():
            for rule in predicate.rules:
                rid = _q(rule.id)
                self.lines.append(f"concl({rid}, {_q(predicate.name)}, {_q(rule.conclusion)}).")
                self.lines.extend(f"exception({rid}, {_q(parent)})." for parent in rule.exception_to)
                self.lines.append(f"cond({rid}) :- {self.node(rule.condition)}.")
        return "\n".join(self.lines) + DEFAULT_LOGIC


def _models(program: str) -> Iterator[list[clingo.Symbol]]:
    control = clingo.Control(["0", "--project", "--warn=none"])
    control.add("base", [], program)
    control.ground([("base", [])])
    with control.solve(yield_=True) as handle:
        for model in handle:
            yield model.symbols(shown=True)


def possible_outcomes(evaluator: Evaluator) -> dict[str, set[str]]:
    """For every predicate, the conclusions clingo finds reachable under some completion of the facts."""
    names = list(evaluator.library.predicates)
    found: dict[str, set[str]] = {name: set() for name in names}
    for symbols in _models(_Translator(evaluator).program()):
        values: dict[str, set[str]] = {name: set() for name in names}
        for symbol in symbols:
            predicate, value = (arg.string for arg in symbol.arguments)
            values[predicate].add(value)
        for name, reached in values.items():
            found[name].add(
                NO_VALUE if not reached else CONFLICT if len(reached) > 1 else next(iter(reached))
            )
    return found
