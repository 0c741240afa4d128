"""Evaluating a condition over facts that may be unknown.

Each evaluation returns its Kleene truth value together with the unknown facts that make it
unknown, in the order they were met. That list is what lets an answer say "depends on X" and lets
the interview ask for X first; it is empty whenever the value is known, because then no unknown
mattered (`False and Unknown` is simply False).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Protocol

from distillgov.law import expr
from distillgov.law.facts import UNKNOWN
from distillgov.law.params import add_months
from distillgov.law.tristate import Tri

Deps = tuple[str, ...]
NONE: Deps = ()


def merge(parts: Iterable[Deps]) -> Deps:
    """Concatenate dependency lists, keeping the first occurrence of each."""
    return tuple(dict.fromkeys(item for part in parts for item in part))


class Environment(Protocol):
    """Where a condition's names get their values."""

    def fact(self, path: str) -> object: ...

    def param(self, name: str) -> object: ...

    def conclusion(self, predicate: str) -> tuple[frozenset[str], Deps]: ...


@dataclass
class Trace:
    """What one condition read: shown in the justification as the facts and parameters used."""

    facts: dict[str, object] = field(default_factory=dict)
    params: list[str] = field(default_factory=list)
    predicates: list[str] = field(default_factory=list)


def truth(node: expr.Expr, env: Environment, trace: Trace) -> tuple[Tri, Deps]:
    """The Kleene truth of a boolean condition and the unknowns it hinges on."""
    if isinstance(node, expr.Not):
        inner, deps = truth(node.operand, env, trace)
        return ~inner, deps
    if isinstance(node, expr.And | expr.Or):
        # Left to right, stopping at the operand that settles the result (False for `and`, True for
        # `or`): Kleene-correct, and the trace then shows only the facts that mattered.
        decisive = Tri.FALSE if isinstance(node, expr.And) else Tri.TRUE
        unknowns: list[Deps] = []
        for operand in node.operands:
            part, deps = truth(operand, env, trace)
            if part is decisive:
                return part, NONE
            if part is Tri.UNKNOWN:
                unknowns.append(deps)
        return (Tri.UNKNOWN, merge(unknowns)) if unknowns else (~decisive, NONE)
    if isinstance(node, expr.Compare):
        return _compare(node, env, trace)
    if isinstance(node, expr.Call):
        return _predicate_call(node, env, trace)
    value, deps = evaluate(node, env, trace)
    if value is UNKNOWN:
        return Tri.UNKNOWN, deps
    if isinstance(value, bool):
        return Tri.of(value), NONE
    if isinstance(value, int | float):
        return Tri.of(value > 0), NONE
    raise TypeError(f"{node!r} is not a truth value")


def evaluate(node: expr.Expr, env: Environment, trace: Trace) -> tuple[object, Deps]:
    """The value of a non-boolean expression (UNKNOWN with its unknowns when it cannot be known)."""
    if isinstance(node, expr.Literal):
        return node.value, NONE
    if isinstance(node, expr.Fact):
        value = env.fact(node.path)
        trace.facts[node.path] = value
        return value, ((node.path,) if value is UNKNOWN else NONE)
    if isinstance(node, expr.Param):
        if node.name not in trace.params:
            trace.params.append(node.name)
        value = env.param(node.name)
        return value, ((f"param:{node.name}",) if value is UNKNOWN else NONE)
    if isinstance(node, expr.Call) and node.function == "add_months":
        (start, d1), (months, d2) = (evaluate(arg, env, trace) for arg in node.args)
        if start is UNKNOWN or months is UNKNOWN:
            return UNKNOWN, merge((d1, d2))
        assert isinstance(start, date) and isinstance(months, int | float)
        return add_months(start, months), NONE
    truth_value, deps = truth(node, env, trace)
    return (UNKNOWN if truth_value is Tri.UNKNOWN else truth_value is Tri.TRUE), deps


def _membership(values: frozenset[str], wanted: frozenset[str]) -> Tri:
    if values <= wanted:
        return Tri.TRUE
    return Tri.UNKNOWN if values & wanted else Tri.FALSE


def _compare(node: expr.Compare, env: Environment, trace: Trace) -> tuple[Tri, Deps]:
    negate = node.op in ("!=", "not in")
    result, deps = _positive_compare(node, env, trace)
    return (~result if negate else result), deps


def _positive_compare(node: expr.Compare, env: Environment, trace: Trace) -> tuple[Tri, Deps]:
    wanted = _wanted(node.right)
    if isinstance(node.left, expr.Conclusion) and wanted is not None:
        if node.left.predicate not in trace.predicates:
            trace.predicates.append(node.left.predicate)
        values, deps = env.conclusion(node.left.predicate)
        result = _membership(values, wanted)
        return result, (deps if result is Tri.UNKNOWN else NONE)
    left, d1 = evaluate(node.left, env, trace)
    right, d2 = evaluate(node.right, env, trace) if wanted is None else (None, NONE)
    op = {"!=": "==", "not in": "in"}.get(node.op, node.op)
    if op != "==":
        left, d1 = _as_number(node.left, left, d1)
        right, d2 = _as_number(node.right, right, d2)
    if left is UNKNOWN or right is UNKNOWN:
        return Tri.UNKNOWN, merge((d1, d2))
    if wanted is not None:
        return Tri.of(left in wanted), NONE
    return Tri.of(left == right if op == "==" else _ordered(op, left, right)), NONE


def _wanted(node: expr.Expr) -> frozenset[str] | None:
    """The strings a membership or string equality test accepts (None for other comparisons)."""
    if isinstance(node, expr.SetLiteral):
        return frozenset(node.items)
    if isinstance(node, expr.Literal) and isinstance(node.value, str):
        return frozenset({node.value})
    return None


def _as_number(node: expr.Expr, value: object, deps: Deps) -> tuple[object, Deps]:
    """A count_or_flag read as a count: `false` is zero, `true` is an unknown positive count."""
    if value is False:
        return 0, deps
    if value is True:
        return UNKNOWN, (node.path,) if isinstance(node, expr.Fact) else deps
    return value, deps


def _ordered(op: str, left: object, right: object) -> bool:
    """<, <=, >, >= over two numbers or two dates (the type checker guarantees which)."""
    if isinstance(left, date) and isinstance(right, date):
        a: float = left.toordinal()
        b: float = right.toordinal()
    elif isinstance(left, int | float) and isinstance(right, int | float):
        a, b = left, right
    else:
        raise TypeError(f"cannot order {left!r} and {right!r}")
    return {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op]


def _predicate_call(node: expr.Call, env: Environment, trace: Trace) -> tuple[Tri, Deps]:
    items, deps = evaluate(node.args[0], env, trace)
    if items is UNKNOWN:
        return Tri.UNKNOWN, deps
    assert isinstance(items, tuple)
    if node.function == "nonempty":
        return Tri.of(bool(items)), NONE
    wanted = _wanted(node.args[1]) or frozenset()
    return Tri.of(bool(wanted.intersection(items))), NONE
