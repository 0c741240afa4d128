"""Radioactivity on tiny students: detects the one trained on watermarked text, accuses no other."""

from __future__ import annotations

import pytest
from conftest import WATERMARK, TinyWorld

from distillgov.forensics.calibration import closed_radioactivity_null, open_radioactivity_null
from distillgov.forensics.radioactivity import (
    closed_model_test,
    compare_split_keys,
    open_model_test,
    random_green_lists,
    served_context_weights,
    suspect_answers,
)

pytestmark = pytest.mark.slow


def test_open_mode_detects_the_student_trained_on_watermarked_answers(tiny_world: TinyWorld) -> None:
    w = tiny_world
    result = open_model_test(w.distilled, w.tokenizer, w.green_list, w.probes, calibration_keys=20)
    assert result.p_value < 1e-4
    assert result.effect > 0
    assert result.scored_for_p_1e_3 is not None and result.scored_for_p_1e_3 <= result.scored
    assert result.random_keys is not None and result.random_keys.empirical_p_value == 1 / 21
    assert result.curve[-1].p_value == pytest.approx(result.p_value)


@pytest.mark.parametrize("name", ["clean", "base", "reference"])
def test_open_mode_does_not_accuse_models_that_never_saw_the_mark(tiny_world: TinyWorld, name: str) -> None:
    suspect = getattr(tiny_world, name)
    result = open_model_test(
        suspect, tiny_world.tokenizer, tiny_world.green_list, tiny_world.probes, calibration_keys=0
    )
    assert result.p_value > 1e-3


def test_open_mode_p_values_are_uniform_under_the_null(tiny_world: TinyWorld) -> None:
    """Forty keys nobody used, on a student trained on the same teacher's unmarked answers."""
    null = open_radioactivity_null(
        tiny_world.clean, tiny_world.probes, [0] * len(tiny_world.probes), WATERMARK, 40
    )
    assert null.ks_p_value > 0.01
    assert null.false_positives_at_0_001 == 0
    assert 0.0 <= null.fpr_at_0_05 <= 0.2


def test_closed_mode_scores_answers_without_accusing_a_clean_student(tiny_world: TinyWorld) -> None:
    """Closed mode is the weak mode at this scale (the benchmark reports its figures); here: the
    teacher's own marked answers are caught, a clean student's answers are not, the null is calibrated."""
    w = tiny_world
    teacher_answers = closed_model_test(
        [s[4:] for s in w.held_out_watermarked], w.green_list, calibration_keys=5
    )
    assert teacher_answers.p_value < 1e-6
    prompts = [w.tokenizer.decode(p[:4]) for p in w.probes[:100]]
    clean_answers = suspect_answers(w.clean, w.tokenizer, prompts, 30)
    unmarked = closed_model_test(clean_answers, w.green_list, calibration_keys=0)
    assert unmarked.p_value > 1e-3
    null = closed_radioactivity_null(clean_answers, len(w.tokenizer), WATERMARK, n_keys=30)
    assert null.false_positives_at_0_001 == 0


def test_the_captured_split_stands_out_against_the_other_split(tiny_world: TinyWorld) -> None:
    w = tiny_world
    other_key = random_green_lists(w.green_list, 1, seed=99)[0]
    captured = open_model_test(w.distilled, w.tokenizer, w.green_list, w.probes, calibration_keys=0)
    control = open_model_test(w.distilled, w.tokenizer, other_key, w.probes, calibration_keys=0)
    comparison = compare_split_keys(captured, control)
    assert comparison.p_value < 1e-3
    assert abs(control.z) < 3.3


def test_served_context_weights_count_each_context_of_the_served_text() -> None:
    weights = served_context_weights([[1, 2, 1, 2, 3], [1, 2, 9]], context_width=2, exponent=1.0)
    assert weights == {(1, 2): 3.0, (2, 1): 1.0}  # the contexts before positions 2, 3, ... of each text
    assert served_context_weights([[5, 5, 5, 5, 5]], 1)[(5,)] == pytest.approx(2.0)  # sqrt(4)


def test_weighting_by_served_contexts_keeps_the_null_and_the_detection(tiny_world: TinyWorld) -> None:
    """Weights from text no key touched (the teacher's unmarked answers): the null stays uniform on a
    clean student, the distilled student is still caught, and the unweighted figure is reported."""
    w = tiny_world
    weights = served_context_weights(w.lineage_probes, WATERMARK.context_width)
    caught = open_model_test(
        w.distilled, w.tokenizer, w.green_list, w.probes, calibration_keys=0, weights=weights
    )
    assert caught.p_value < 1e-3
    assert caught.details["weighted_by_served_contexts"] is True
    assert caught.details["unweighted_p_value"] < 1e-3
    null = open_radioactivity_null(
        w.clean, w.probes, [0] * len(w.probes), WATERMARK, 40, seed=7, weights=weights
    )
    assert null.ks_p_value > 0.01
    assert null.false_positives_at_0_001 == 0
