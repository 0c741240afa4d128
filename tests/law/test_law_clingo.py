"""Cross-check: clingo's answer sets agree with the engine on every scenario (see clingo_check)."""

from __future__ import annotations

import pytest

pytest.importorskip("clingo", reason="clingo is an optional test dependency: .venv/bin/pip install clingo")

from .clingo_check import possible_outcomes
from .scenarios import load, names


@pytest.mark.parametrize("name", names())
def test_clingo_agrees_with_the_engine(name: str) -> None:
    evaluator = load(name).assessment().evaluator
    for predicate, reachable in possible_outcomes(evaluator).items():
        engine = evaluator.outcome(predicate)
        if engine.certain:
            assert reachable == set(engine.values), predicate
        else:
            assert reachable <= engine.values, predicate
