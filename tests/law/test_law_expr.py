"""The condition language: parsing, static types, and Kleene evaluation over unknown facts."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import pytest

from distillgov.law import expr
from distillgov.law.evaluate import Deps, Trace, truth
from distillgov.law.facts import UNKNOWN
from distillgov.law.tristate import Tri

T, F, U = Tri.TRUE, Tri.FALSE, Tri.UNKNOWN


@dataclass
class Env:
    facts: dict[str, object] = field(default_factory=dict)
    conclusions: dict[str, frozenset[str]] = field(default_factory=dict)

    def fact(self, path: str) -> object:
        return self.facts.get(path, UNKNOWN)

    def param(self, name: str) -> object:
        return 100 if name == "limit" else UNKNOWN

    def conclusion(self, predicate: str) -> tuple[frozenset[str], Deps]:
        values = self.conclusions[predicate]
        return values, (("fact.behind",) if len(values) > 1 else ())


def evaluate(source: str, **facts: object) -> tuple[Tri, Deps]:
    return truth(expr.parse(source), Env({k.replace("__", "."): v for k, v in facts.items()}), Trace())


@pytest.mark.parametrize(
    ("a", "b", "conj", "disj"),
    [(T, T, T, T), (T, F, F, T), (T, U, U, T), (F, U, F, U), (U, U, U, U), (F, F, F, F)],
)
def test_kleene_tables(a: Tri, b: Tri, conj: Tri, disj: Tri) -> None:
    assert a & b is conj and b & a is conj
    assert a | b is disj and b | a is disj


def test_negation_keeps_unknown_unknown() -> None:
    assert ~U is U and ~T is F and ~F is T


def test_false_and_unknown_is_false_and_names_nothing() -> None:
    assert evaluate("a.x and a.y", a__x=False) == (F, ())


def test_true_and_unknown_is_unknown_and_names_the_unknown() -> None:
    assert evaluate("a.x and a.y", a__x=True) == (U, ("a.y",))


def test_or_with_a_true_operand_is_true_whatever_else_is_unknown() -> None:
    assert evaluate("a.x or a.y", a__y=True) == (T, ())


def test_comparisons_with_an_unknown_side_are_unknown() -> None:
    assert evaluate('a.m == "api"') == (U, ("a.m",))
    assert evaluate("a.n >= param(limit)", a__n=150) == (T, ())
    assert evaluate("a.n >= param(missing)", a__n=150) == (U, ("param:missing",))


def test_not_in_and_not_equal_are_negations() -> None:
    assert evaluate('a.m not in {"x", "y"}', a__m="z") == (T, ())
    assert evaluate('a.m != "x"', a__m="x") == (F, ())


def test_a_flag_counted_as_true_is_an_unknown_count() -> None:
    assert evaluate("a.f", a__f=True) == (T, ())
    assert evaluate("a.f > 10", a__f=True) == (U, ("a.f",))
    assert evaluate("a.f > 10", a__f=False) == (F, ())
    assert evaluate("a.f", a__f=0) == (F, ())


def test_lists_and_dates() -> None:
    assert evaluate("nonempty(a.l)", a__l=()) == (F, ())
    assert evaluate('overlaps(a.l, {"nda"})', a__l=("nda", "x")) == (T, ())
    assert evaluate("a.d < add_months(a.s, 12)", a__d=date(2026, 5, 31), a__s=date(2025, 6, 1)) == (T, ())
    assert evaluate("a.d < add_months(a.s, 12)", a__d=date(2026, 6, 1), a__s=date(2025, 6, 1)) == (F, ())
    assert evaluate('a.d >= date("2026-01-01")', a__d=date(2026, 1, 1)) == (T, ())


def test_conclusions_are_tested_against_every_value_they_may_have() -> None:
    env = Env(conclusions={"p": frozenset({"likely"}), "q": frozenset({"likely", "unlikely"})})
    assert truth(expr.parse('@p == "likely"'), env, Trace()) == (T, ())
    assert truth(expr.parse('@q == "likely"'), env, Trace()) == (U, ("fact.behind",))
    assert truth(expr.parse('@q in {"likely", "unlikely"}'), env, Trace()) == (T, ())


def test_the_trace_records_only_what_decided_the_result() -> None:
    trace = Trace()
    truth(expr.parse("a.x and a.y"), Env({"a.x": False}), trace)
    assert trace.facts == {"a.x": False}


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("a.x ==", "unexpected end"),
        ("a.x $ b", "unexpected character '$'"),
        ("{a.x}", "sets hold quoted strings only"),
        ("frobnicate(a.x)", "unknown function 'frobnicate'"),
        ('date("yesterday")', "date() needs a quoted ISO date"),
        ("a.x b.y", "unexpected 'b.y'"),
        ("__import__('os')", "unknown function '__import__'"),
    ],
)
def test_parse_errors_say_what_and_where(source: str, message: str) -> None:
    with pytest.raises(expr.ExpressionError) as caught:
        expr.parse(source)
    assert message in str(caught.value)


def test_parsing_builds_the_expected_tree() -> None:
    tree = expr.parse('not a.x and (a.m in {"p", "q"} or @pred == "v")')
    assert tree == expr.And(
        (
            expr.Not(expr.Fact("a.x")),
            expr.Or(
                (
                    expr.Compare("in", expr.Fact("a.m"), expr.SetLiteral(("p", "q"))),
                    expr.Compare("==", expr.Conclusion("pred"), expr.Literal("v")),
                )
            ),
        )
    )
