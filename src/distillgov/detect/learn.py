"""Learned signal weights from a provider's labelled past incidents (`detect fit`, `detect --model`).

Without labels the conjunctive rule of `scoring.py` decides. A provider that has confirmed past
campaigns can learn how much each signal matters in *its* traffic: a logistic regression over
the same per-account signal strengths (plus coordination, campaign evidence, the validation
discount and template novelty), with class weights balanced because campaigns are rare.
Cross-validated figures are reported before anything is saved, and the decision threshold is
chosen on out-of-fold predictions so that the benign accounts' false-positive rate stays within
`target_fpr`.

The model is saved as JSON (names, coefficients, intercept, threshold, figures, provenance), not
as a pickle: it is an exhibit someone may need to read, and loading it executes nothing.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.parquet as pq

from distillgov.detect.pipeline import Analysis
from distillgov.detect.signals import SIGNALS, Family
from distillgov.provenance import sha256_file, tool_block

MODEL_FORMAT = 1
FOLDS = 5


def model_inputs(analysis: Analysis) -> tuple[list[str], np.ndarray]:
    """Per-account model features: non-validation signal strengths, coordination, campaign evidence,
    the validation discount and template novelty (1 - template repetition, 1 where not measured)."""
    names = [s.name for s in SIGNALS if s.family is not Family.VALIDATION]
    columns = [analysis.scores.strengths[n] for n in names]
    repetition = analysis.features.get("template_repetition", np.zeros(len(analysis.scores.score)))
    names += ["coordination", "campaign_evidence", "validation_discount", "template_novelty"]
    columns += [
        analysis.scores.coordination,
        analysis.scores.campaign,
        analysis.scores.discount,
        1.0 - np.nan_to_num(repetition, nan=0.0),
    ]
    return names, np.stack(columns, axis=1)


def read_labels(path: Path) -> dict[str, bool]:
    """account_id -> harvesting; the table has `account_id` and `label` or `campaign_id` (non-null = yes)."""
    table = pq.read_table(path)
    accounts = [str(a) for a in table.column("account_id").to_pylist()]
    if "label" in table.column_names:
        values = [bool(v) for v in table.column("label").to_pylist()]
    elif "campaign_id" in table.column_names:
        values = [v is not None for v in table.column("campaign_id").to_pylist()]
    else:
        raise ValueError(f"{path} needs an account_id column and a label or campaign_id column")
    return dict(zip(accounts, values, strict=True))


def fit_model(
    analysis: Analysis, labels: dict[str, bool], labels_path: Path, target_fpr: float
) -> dict[str, Any]:
    """Fit, cross-validate and describe a logistic model over the labelled accounts."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import average_precision_score, roc_auc_score
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    names, matrix = model_inputs(analysis)
    accounts = analysis.features["account_id"].tolist()
    rows = [i for i, a in enumerate(accounts) if a in labels]
    x = matrix[rows]
    y = np.asarray([labels[accounts[i]] for i in rows], dtype=bool)
    if y.sum() < FOLDS or (~y).sum() < FOLDS:
        raise ValueError(
            f"need at least {FOLDS} labelled accounts of each class, got {int(y.sum())} positive"
        )
    model = LogisticRegression(class_weight="balanced", max_iter=1000)
    folds = StratifiedKFold(n_splits=FOLDS, shuffle=True, random_state=0)
    out_of_fold = cross_val_predict(model, x, y, cv=folds, method="predict_proba")[:, 1]
    threshold = _threshold(out_of_fold, y, target_fpr)
    predicted = out_of_fold >= threshold
    true_pos = int((predicted & y).sum())
    model.fit(x, y)
    return {
        "format": MODEL_FORMAT,
        "tool": tool_block(),
        "features": names,
        "coefficients": [float(c) for c in model.coef_[0]],
        "intercept": float(model.intercept_[0]),
        "threshold": threshold,
        "cross_validation": {
            "folds": FOLDS,
            "accounts": len(y),
            "positives": int(y.sum()),
            "roc_auc": round(float(roc_auc_score(y, out_of_fold)), 4),
            "average_precision": round(float(average_precision_score(y, out_of_fold)), 4),
            "recall": round(true_pos / int(y.sum()), 4),
            "precision": round(true_pos / max(int(predicted.sum()), 1), 4),
            "benign_fpr": round(float((predicted & ~y).sum() / (~y).sum()), 6),
        },
        "labels": {"path": str(labels_path), "sha256": sha256_file(labels_path)},
        "parameters": analysis.params.as_dict(),
    }


def _threshold(probability: np.ndarray, y: np.ndarray, target_fpr: float) -> float:
    """Lowest probability threshold whose out-of-fold benign false-positive rate is <= target."""
    benign = np.sort(probability[~y])
    allowed = int(np.floor(target_fpr * len(benign)))  # benign accounts that may exceed it
    above = benign[len(benign) - allowed - 1] if allowed < len(benign) else 0.0
    return float(min(np.nextafter(above, 1.0), 1.0))


def load_model(path: Path) -> dict[str, Any]:
    model: dict[str, Any] = json.loads(path.read_text("utf-8"))
    if model.get("format") != MODEL_FORMAT:
        raise ValueError(f"{path} is not a distillgov detection model (format {MODEL_FORMAT})")
    return model


def apply_model(analysis: Analysis, model: dict[str, Any]) -> None:
    """Replace the unsupervised scores and flags with the model's probability and threshold."""
    names, matrix = model_inputs(analysis)
    if names != model["features"]:
        raise ValueError("the model was fitted on other signals; refit it with this version")
    logits = matrix @ np.asarray(model["coefficients"]) + model["intercept"]
    probability = 1.0 / (1.0 + np.exp(-logits))
    scores = analysis.scores
    scores.score = probability * scores.assessed
    scores.threshold = float(model["threshold"])
    scores.estimated_fpr = float(model["cross_validation"]["benign_fpr"])
    scores.flagged = scores.assessed & (scores.score >= scores.threshold)
