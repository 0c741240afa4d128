"""Lineage without a watermark: the student of a teacher is closer to it than to independent models."""

from __future__ import annotations

import pytest
from conftest import TinyWorld

from distillgov.forensics.lineage import open_lineage

pytestmark = pytest.mark.slow


def _verdicts(world: TinyWorld, suspect_name: str) -> dict[str, dict[str, float]]:
    verdicts = open_lineage(
        getattr(world, suspect_name),
        {"teacher": world.teacher, "other-teacher": world.other_teacher},
        {"reference": world.reference},
        world.lineage_probes,
        [4] * len(world.lineage_probes),
        alpha=1e-3,
        statistic="distance",  # the tiny models' argmax is the same frequent token almost everywhere
    )
    return {v["candidate"]: v for v in verdicts}


def test_lineage_picks_the_true_parent(tiny_world: TinyWorld) -> None:
    verdicts = _verdicts(tiny_world, "clean")  # trained on the teacher's unmarked answers
    assert verdicts["teacher"]["significant"], verdicts
    assert not verdicts["other-teacher"]["significant"]
    assert verdicts["teacher"]["agreement"] > verdicts["teacher"]["best_reference_agreement"]


def test_lineage_names_no_parent_for_a_model_that_never_saw_the_teacher(tiny_world: TinyWorld) -> None:
    verdicts = _verdicts(tiny_world, "base")
    assert not any(v["significant"] for v in verdicts.values())
