"""Trained on, or only evaluated on? Set-level dataset inference (in the manner of Maini et al. 2024).

Per-example membership inference is near chance on matched sets; pooled over a set it is not. Each
text of the captured set (what the suspect's operator received) and of a control set (outputs it
never saw, drawn from the same prompt distribution — the other key split, or fresh answers) gets
several membership features from the suspect's log-probabilities. Both sets are split in two: a
logistic regression learns on the first halves which combination of features tells captured from
control, and a one-sided Welch t-test asks, on the second halves only, whether captured texts score
higher. The halves are disjoint, so the learned weights cannot leak into the test; under the null
(both sets equally foreign, or equally familiar, to the suspect) the test is valid whatever the
weights learned.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import stats

from distillgov.forensics.errors import ForensicsError
from distillgov.forensics.models import SuspectModel

FEATURES = (
    "mean_logprob",
    "zlib_ratio",
    "min_5pct",
    "min_10pct",
    "min_20pct",
    "min_40pct",
    "max_20pct",
    "median_logprob",
)
MIN_PER_SET = 20
MIN_TOKENS = 8


def membership_features(logprobs: npt.NDArray[np.float64], text: str) -> list[float]:
    """Features that are higher for text a model was trained on (Carlini et al. 2021; Shi et al. 2024)."""
    ordered = np.sort(logprobs)
    n = len(ordered)

    def low(share: float) -> float:
        return float(ordered[: max(1, int(n * share))].mean())

    mean = float(ordered.mean())
    zlib_bits = len(zlib.compress(text.encode("utf-8"))) * 8
    return [
        mean,
        float(ordered.sum()) / zlib_bits,  # log-likelihood relative to a model-free compressibility
        low(0.05),
        low(0.10),
        low(0.20),
        low(0.40),
        float(ordered[-max(1, int(n * 0.2)) :].mean()),
        float(np.median(ordered)),
    ]


@dataclass(frozen=True)
class TrainedOnResult:
    """Captured vs control: a small p-value means the suspect treats the captured set as training data."""

    p_value: float
    t_statistic: float
    effect_size: float  # Cohen's d of the held-out scores, captured minus control
    n_captured: int
    n_control: int
    n_test_captured: int
    n_test_control: int
    weights: dict[str, float]
    feature_means: dict[str, dict[str, float]]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def feature_matrix(
    suspect: SuspectModel, texts: Sequence[str], batch_size: int = 8
) -> npt.NDArray[np.float64]:
    """One row of membership features per text (texts too short to score are an error, not a zero)."""
    rows = []
    for index, (text, logprobs) in enumerate(
        zip(texts, suspect.text_logprobs(texts, batch_size), strict=True)
    ):
        if len(logprobs) < MIN_TOKENS:
            raise ForensicsError(
                f"text {index} has {len(logprobs)} scorable tokens; membership features need at least "
                f"{MIN_TOKENS}"
            )
        rows.append(membership_features(np.asarray(logprobs, dtype=np.float64), text))
    return np.array(rows)


def dataset_inference(
    captured: npt.NDArray[np.float64], control: npt.NDArray[np.float64], seed: int = 0
) -> TrainedOnResult:
    """Learn a feature combination on one half of each set; test it on the other half."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    if len(captured) < MIN_PER_SET or len(control) < MIN_PER_SET:
        raise ForensicsError(
            f"dataset inference needs at least {MIN_PER_SET} texts in each set (captured {len(captured)}, "
            f"control {len(control)}): half of each trains the feature weights and half is tested"
        )
    rng = np.random.default_rng(seed)
    cap, ctl = captured[rng.permutation(len(captured))], control[rng.permutation(len(control))]
    cap_fit, cap_test = cap[: len(cap) // 2], cap[len(cap) // 2 :]
    ctl_fit, ctl_test = ctl[: len(ctl) // 2], ctl[len(ctl) // 2 :]
    scaler = StandardScaler().fit(np.vstack([cap_fit, ctl_fit]))
    labels = np.r_[np.ones(len(cap_fit)), np.zeros(len(ctl_fit))]
    classifier = LogisticRegression(C=0.5, max_iter=1000).fit(
        scaler.transform(np.vstack([cap_fit, ctl_fit])), labels
    )
    score_cap = classifier.decision_function(scaler.transform(cap_test))
    score_ctl = classifier.decision_function(scaler.transform(ctl_test))
    test = stats.ttest_ind(score_cap, score_ctl, equal_var=False, alternative="greater")
    pooled = np.sqrt((score_cap.var(ddof=1) + score_ctl.var(ddof=1)) / 2)
    return TrainedOnResult(
        p_value=float(test.pvalue),
        t_statistic=float(test.statistic),
        effect_size=float((score_cap.mean() - score_ctl.mean()) / pooled) if pooled > 0 else 0.0,
        n_captured=len(captured),
        n_control=len(control),
        n_test_captured=len(cap_test),
        n_test_control=len(ctl_test),
        weights={name: float(w) for name, w in zip(FEATURES, classifier.coef_[0], strict=True)},
        feature_means={
            "captured": {name: float(v) for name, v in zip(FEATURES, captured.mean(0), strict=True)},
            "control": {name: float(v) for name, v in zip(FEATURES, control.mean(0), strict=True)},
        },
    )


def trained_on_test(
    suspect: SuspectModel, captured_texts: Sequence[str], control_texts: Sequence[str], seed: int = 0
) -> TrainedOnResult:
    """Does the suspect treat the captured texts as training data, compared with the control texts?"""
    return dataset_inference(
        feature_matrix(suspect, captured_texts), feature_matrix(suspect, control_texts), seed
    )
