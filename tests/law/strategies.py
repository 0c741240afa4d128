"""Hypothesis strategies for facts drawn from the vocabulary itself.

Generating from the schema means a field added to the vocabulary is exercised by the property tests
without anyone remembering to add it here. The clause field is left out: a clause contradicting the
generated prohibits_* fields is (rightly) refused, and clause filling has its own tests.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from hypothesis import assume
from hypothesis import strategies as st

from distillgov.law.facts import Facts, FactsError, Field, schema, validate

ABSENT = object()
SKIPPED = ("teacher.terms_of_service.clause",)


def value_of(field: Field) -> st.SearchStrategy[Any]:
    values = [v for v in field.values if v != "unknown"]
    strategies: dict[str, st.SearchStrategy[Any]] = {
        "bool": st.booleans(),
        "int": st.integers(0, 10**7),
        "number": st.one_of(
            st.sampled_from([0, 1, 99, 100, 101, 5000]), st.floats(0, 20000, allow_nan=False)
        ),
        "count_or_flag": st.one_of(st.booleans(), st.integers(0, 50)),
        "date": st.dates(date(2019, 1, 1), date(2028, 12, 31)),
        "text": st.sampled_from(["Frontier Lab", "Rival AI", "x"]),
    }
    if field.type == "enum":
        return st.sampled_from(values)
    if field.type == "list":
        return st.lists(st.sampled_from(values), max_size=3, unique=True)
    return strategies[field.type]


def _nested(flat: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for path, value in flat.items():
        if value is ABSENT:
            continue
        *parents, leaf = path.split(".")
        node = out
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = value
    return out


def _facts(partial: bool) -> st.SearchStrategy[Facts]:
    fields = [f for p, f in schema().fields.items() if p not in SKIPPED]
    per_field = {
        f.path: st.one_of(st.just(ABSENT), st.just("unknown"), value_of(f)) if partial else value_of(f)
        for f in fields
    }

    @st.composite
    def build(draw: st.DrawFn) -> Facts:
        flat = {path: draw(strategy) for path, strategy in per_field.items()}
        try:
            return validate(_nested(flat))
        except FactsError:
            assume(False)
            raise

    return build()


def full_facts() -> st.SearchStrategy[Facts]:
    """Every field of the vocabulary known."""
    return _facts(partial=False)


def partial_facts() -> st.SearchStrategy[Facts]:
    """Any field may be absent or unknown."""
    return _facts(partial=True)
