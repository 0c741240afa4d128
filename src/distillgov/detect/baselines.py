"""Benign baselines computed from the same traffic: high percentiles of reference populations.

No signal is compared with a constant. Each is compared with a high percentile (default the
99th) of the same quantity over a reference population drawn from the traffic being scored:

- `human`: accounts that hold conversations (at least `HUMAN_MIN_CONTINUING` of their exchanges
  continue an earlier turn) — the traffic's own people, for the scale signals a court asks
  about ("N times what the busiest 1% of human users do");
- `all`: every account with at least `min_requests` requests — mostly benign in any real
  provider's traffic, for the shape signals.

A campaign inside the traffic raises these percentiles only if it makes up more than
(1 - percentile) of the reference population, and then only makes the detector more cautious.
"""

from __future__ import annotations

from dataclasses import dataclass
from statistics import NormalDist
from typing import Any

import numpy as np

from distillgov.detect.signals import SIGNALS, Kind, Reference, Signal

HUMAN_MIN_CONTINUING = 0.2  # what "holds conversations" means for the human reference population


@dataclass(frozen=True)
class Baseline:
    """The number a signal was compared with, and where it came from."""

    value: float
    percentile: float
    reference: str
    accounts: int
    method: str = "empirical"  # or "robust log-normal" (see robust_percentile)

    def as_dict(self) -> dict[str, Any]:
        return {
            "value": _round(self.value),
            "percentile": self.percentile,
            "reference": self.reference,
            "accounts": self.accounts,
            "method": self.method,
        }


def _round(value: float) -> float | None:
    return None if not np.isfinite(value) else float(round(value, 4))


def reference_masks(features: dict[str, np.ndarray], min_requests: int) -> dict[Reference, np.ndarray]:
    """Which accounts make up each reference population."""
    enough = features["requests"] >= min_requests
    single = features["single_turn_share"]
    conversational = enough & np.isfinite(single) & (1.0 - single >= HUMAN_MIN_CONTINUING)
    if not conversational.any():  # no turn information: fall back to every account, and say so
        conversational = enough
    return {Reference.ALL: enough, Reference.HUMAN: conversational}


def describe_reference(reference: Reference, fell_back: bool, min_requests: int) -> str:
    if reference is Reference.HUMAN and not fell_back:
        return (
            f"conversational accounts (>= {min_requests} requests, >= {HUMAN_MIN_CONTINUING:.0%} "
            "of exchanges continuing a conversation)"
        )
    return f"all accounts with >= {min_requests} requests"


def compute_baselines(
    features: dict[str, np.ndarray],
    percentile: float,
    min_requests: int,
    signals: tuple[Signal, ...] = SIGNALS,
) -> dict[str, Baseline]:
    """The `percentile`-th percentile of each signal over its reference population."""
    masks = reference_masks(features, min_requests)
    fell_back = bool(np.array_equal(masks[Reference.HUMAN], masks[Reference.ALL]))
    out: dict[str, Baseline] = {}
    for signal in signals:
        values = features[signal.name][masks[signal.reference]]
        values = values[np.isfinite(values)]
        if signal.kind is Kind.RATIO:
            value, method = robust_percentile(values, percentile)
        else:
            value = float(np.percentile(values, percentile)) if len(values) else float("nan")
            method = "empirical"
        out[signal.name] = Baseline(
            value,
            percentile,
            describe_reference(signal.reference, fell_back, min_requests),
            len(values),
            method,
        )
    return out


def robust_percentile(values: np.ndarray, percentile: float) -> tuple[float, str]:
    """A high percentile that a large campaign inside the population cannot drag up.

    The empirical 99th percentile moves as soon as more than 1% of the reference accounts are
    one campaign's (a swarm of thousands among a few hundred thousand active accounts already
    is). Instead: fit a log-normal by median and MAD of log(value) — both unmoved until
    contamination approaches half the population — and read the percentile off the fit.
    Falls back to the empirical percentile where the MAD is zero (a spike at one value).
    """
    positive = values[values > 0]
    if len(positive) < 2:
        return (float(np.percentile(values, percentile)) if len(values) else float("nan")), "empirical"
    logs = np.log(positive)
    centre = float(np.median(logs))
    spread = 1.4826 * float(np.median(np.abs(logs - centre)))
    if spread == 0:
        return float(np.percentile(values, percentile)), "empirical"
    return float(np.exp(centre + _NORMAL.inv_cdf(percentile / 100.0) * spread)), "robust log-normal"


_NORMAL = NormalDist()
