"""Calibration: on models that never saw the teacher's outputs, are the p-values what they claim?

A forensic p-value is only evidence if, when nothing happened, it is uniform: p < 0.001 then
happens one time in a thousand. This is checked, not assumed — over many random keys (each a key
the suspect could not have been trained on) and over random splits of never-seen text — with a
Kolmogorov-Smirnov test against the uniform law and the observed false-positive rates.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import stats

from distillgov.forensics.errors import ForensicsError
from distillgov.forensics.models import SuspectModel
from distillgov.forensics.radioactivity import (
    ContextMasses,
    context_scores,
    random_green_lists,
    read_context_masses,
)
from distillgov.forensics.trained_on import dataset_inference, feature_matrix
from distillgov.watermark.detect import score_token_ids
from distillgov.watermark.kgw import GreenList, KGWParams

MIN_NULL_DRAWS = 10


@dataclass(frozen=True)
class NullCalibration:
    """How p-values behave when the null holds."""

    test: str
    n: int
    ks_statistic: float
    ks_p_value: float  # small: p-values are not uniform (the test is miscalibrated)
    fpr_at_0_05: float
    fpr_at_0_001: float
    false_positives_at_0_001: int
    min_p_value: float
    p_values: list[float]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def summarise_null(test: str, p_values: Sequence[float]) -> NullCalibration:
    """KS against Uniform(0, 1) and the false-positive rates at the two alphas that matter here."""
    values = np.asarray(p_values, dtype=np.float64)
    if len(values) < MIN_NULL_DRAWS:
        raise ForensicsError(f"calibration needs at least {MIN_NULL_DRAWS} null draws, got {len(values)}")
    ks = stats.kstest(values, "uniform")
    return NullCalibration(
        test=test,
        n=len(values),
        ks_statistic=float(ks.statistic),
        ks_p_value=float(ks.pvalue),
        fpr_at_0_05=float((values < 0.05).mean()),
        fpr_at_0_001=float((values < 0.001).mean()),
        false_positives_at_0_001=int((values < 0.001).sum()),
        min_p_value=float(values.min()),
        p_values=[float(v) for v in values],
    )


def open_radioactivity_null(
    suspect: SuspectModel,
    probe_sequences: Sequence[Sequence[int]],
    probe_starts: Sequence[int],
    params: KGWParams,
    n_keys: int = 100,
    seed: int = 0,
    masses: ContextMasses | None = None,
    weights: Mapping[tuple[int, ...], float] | None = None,
) -> NullCalibration:
    """Open-model radioactivity p-values of one clean suspect under `n_keys` random keys
    (`masses`: a reading of the suspect already made, to share it with other tests; `weights`:
    the served-context weights of the statistic being calibrated)."""
    template = GreenList(b"calibration-template-key", len(suspect.tokenizer), params)
    if masses is None:
        masses = read_context_masses(suspect, probe_sequences, probe_starts, params.context_width)
    p_values = [
        context_scores(masses, green_list, weights).z_and_p()[1]
        for green_list in random_green_lists(template, n_keys, seed)
    ]
    return summarise_null("radioactivity-open", p_values)


def closed_radioactivity_null(
    answer_ids: Sequence[Sequence[int]], vocab_size: int, params: KGWParams, n_keys: int = 100, seed: int = 0
) -> NullCalibration:
    """Closed-model radioactivity p-values of one clean suspect's answers under `n_keys` random keys."""
    template = GreenList(b"calibration-template-key", vocab_size, params)
    p_values = [
        score_token_ids(green_list, answer_ids, significance=0.5).p_value
        for green_list in random_green_lists(template, n_keys, seed)
    ]
    return summarise_null("radioactivity-closed", p_values)


def trained_on_null(
    suspect: SuspectModel, never_seen_texts: Sequence[str], n_splits: int = 30, seed: int = 0
) -> NullCalibration:
    """Dataset-inference p-values when 'captured' and 'control' are random halves of never-seen text.

    Splits reuse the same texts, so the draws are not independent: the KS figure is indicative;
    each p-value on its own is a valid null draw.
    """
    features: npt.NDArray[np.float64] = feature_matrix(suspect, never_seen_texts)
    rng = np.random.default_rng(seed)
    p_values = []
    for split in range(n_splits):
        order = rng.permutation(len(features))
        half = len(order) // 2
        p_values.append(dataset_inference(features[order[:half]], features[order[half:]], seed=split).p_value)
    return summarise_null("trained-on", p_values)
