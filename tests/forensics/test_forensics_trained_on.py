"""Distillation versus validation: dataset inference separates trained-on from evaluated-only."""

from __future__ import annotations

import pytest
from conftest import TinyWorld

from distillgov.forensics.calibration import trained_on_null
from distillgov.forensics.trained_on import trained_on_test

pytestmark = pytest.mark.slow


def _texts(world: TinyWorld, sequences: list[list[int]]) -> list[str]:
    return [world.tokenizer.decode(s) for s in sequences]


def test_trained_on_separates_training_data_from_never_seen_outputs(tiny_world: TinyWorld) -> None:
    w = tiny_world
    result = trained_on_test(w.distilled, _texts(w, w.watermarked), _texts(w, w.held_out_watermarked))
    # ~55 held-out texts per side are tested here; the benchmark measures the texts needed for 1e-3
    assert result.p_value < 1e-2
    assert result.effect_size > 0.5


def test_trained_on_does_not_separate_for_a_model_that_only_evaluated(tiny_world: TinyWorld) -> None:
    w = tiny_world
    result = trained_on_test(w.base, _texts(w, w.watermarked), _texts(w, w.held_out_watermarked))
    assert result.p_value > 1e-3


def test_trained_on_null_is_calibrated(tiny_world: TinyWorld) -> None:
    w = tiny_world
    null = trained_on_null(w.base, _texts(w, w.watermarked + w.held_out_watermarked), n_splits=30)
    assert null.false_positives_at_0_001 == 0
    assert null.ks_p_value > 0.001
