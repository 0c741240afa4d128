"""Scoring rules on hand-made numbers: strengths, corroboration, coordination, calibration."""

from __future__ import annotations

import numpy as np

from distillgov.detect.baselines import Baseline
from distillgov.detect.scoring import calibrate, coordination_of, corroborated, strength
from distillgov.detect.signals import SIGNALS_BY_NAME


def _baseline(value: float) -> Baseline:
    return Baseline(value, 99.0, "test", 100)


def test_ratio_strength_is_zero_at_baseline_and_full_at_saturation() -> None:
    signal = SIGNALS_BY_NAME["mean_output_tokens"]
    values = np.array([100.0, 200.0, 400.0, 1600.0, np.nan, 50.0])
    out = strength(signal, values, _baseline(400.0), saturation=4.0)
    assert out.tolist() == [0.0, 0.0, 0.0, 1.0, 0.0, 0.0]
    assert strength(signal, np.array([800.0]), _baseline(400.0), 4.0)[0] == np.float64(0.5)


def test_share_strength_uses_headroom_and_a_saturated_baseline_never_fires() -> None:
    signal = SIGNALS_BY_NAME["elicitation_share"]
    out = strength(signal, np.array([0.2, 0.6, 1.0]), _baseline(0.2), 4.0)
    assert np.allclose(out, [0.0, 0.5, 1.0])
    assert not strength(signal, np.array([1.0]), _baseline(1.0), 4.0).any()


def test_one_signal_alone_gives_half_the_family_strength() -> None:
    stack = np.array([[1.0, 1.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 0.0]])
    assert corroborated(stack).tolist() == [0.5, 1.0, 0.0]


def test_coordination_is_the_mean_evidence_of_peers_that_show_any() -> None:
    evidence = np.array([1.0, 0.5, 0.0, 0.0, 0.9, 0.2])
    community = np.array([0, 0, 0, 0, -1, 1])
    out = coordination_of(evidence, community)
    # the two accounts without evidence see both evident peers; each evident one sees only one
    # evident peer, too few to call the group coordinated; people pulled in do not dilute it
    assert np.allclose(out, [0.0, 0.0, 0.75, 0.75, 0.0, 0.0])


def test_calibration_respects_the_floor_and_the_target() -> None:
    rng = np.random.default_rng(0)
    n = 10_000
    shape = np.where(rng.random(n) < 0.05, rng.random(n), 0.0)
    other = np.where(rng.random(n) < 0.05, rng.random(n), 0.0)
    score = np.minimum(shape, other)
    assessed = np.ones(n, dtype=bool)
    threshold, fpr = calibrate(shape, other, score, assessed, target=0.001, floor=0.25)
    assert threshold >= 0.25 and fpr <= 0.001
    loose, _ = calibrate(shape, other, score, assessed, target=0.5, floor=0.0)
    strict, _ = calibrate(shape, other, score, assessed, target=1e-6, floor=0.0)
    assert loose <= threshold <= strict
