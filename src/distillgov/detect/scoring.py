"""Unsupervised, auditable scoring: signal strengths, families, the validation defense, the threshold.

1. Each signal's *strength* in [0, 1] says how far the account is beyond its benign baseline:
   a ratio signal grows with log(value / baseline) and is full at `saturation` times the
   baseline; a share signal is the part of the headroom (1 - baseline) it uses. At or below the
   baseline the strength is 0: the account does nothing the benign high percentile does not.
2. A family's strength is the mean of its two strongest signals: one signal a little over its
   percentile happens to some benign account in every large population; two corroborating
   ones of the same family rarely do.
3. The validation defense multiplies harvesting evidence by (1 - replay share): replaying a
   fixed prompt set yields no new training data.
4. Harvesting is conjunctive: it has harvesting *shape* AND either per-account *scale* beyond
   people or *coordination* (community peers with the same shape). Automation alone (scale
   without shape) and linkage alone (enterprises) never suffice:
       score = min(shape, max(scale, coordination)) x (1 - replay share)
5. The flag threshold comes from the traffic: the smallest score t whose estimated false-positive
   rate, P(shape >= t) x P(max(scale, coordination) >= t) over the conversational (human)
   reference accounts, is at most
   `target_fpr`, and never below `min_score` (materiality: a family strength of 0.25 is two
   signals at 1.41x their baselines, or one at 2x). The product assumes the two sides are
   independent among benign accounts (documented in docs/detect.md). The marginals are measured
   on conversational accounts because harvesting, being single-turn, cannot enter that
   population: measured on all accounts, a campaign of a few percent of them would itself push
   the threshold above its own scores.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from distillgov.detect.baselines import Baseline
from distillgov.detect.parameters import DetectParameters
from distillgov.detect.signals import SCALE_ASPECTS, SHAPE_ASPECTS, SIGNALS, Aspect, Family, Kind, Signal

CORROBORATING = 2  # signals of one family averaged into its strength
MIN_EVIDENT_PEERS = 2  # community peers with evidence needed before coordination counts


def strength(signal: Signal, values: np.ndarray, baseline: Baseline, saturation: float) -> np.ndarray:
    """How far beyond the baseline each value lies, in [0, 1] (0 where not computed)."""
    b = baseline.value
    finite = np.isfinite(values)
    out = np.zeros(len(values))
    if not np.isfinite(b):
        return out
    if signal.kind is Kind.RATIO:
        return strength_of_ratio(np.where(finite, values, b), b, saturation)
    if b >= 1.0:
        return out  # the benign high percentile already saturates the share: no separation
    return np.clip((np.where(finite, values, 0.0) - b) / (1.0 - b), 0.0, 1.0)


def strength_of_ratio(values: np.ndarray, baseline: float, saturation: float) -> np.ndarray:
    """log(value / baseline) / log(saturation), clipped to [0, 1] (0 without a usable baseline)."""
    if not np.isfinite(baseline) or baseline <= 0:
        return np.zeros(len(values))
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.log(values / baseline) / np.log(saturation)
    clipped: np.ndarray = np.clip(np.nan_to_num(ratio, nan=0.0, neginf=0.0), 0.0, 1.0)
    return clipped


@dataclass
class Scores:
    """Per-account strengths and the final decision, aligned with the feature arrays."""

    strengths: dict[str, np.ndarray]
    families: dict[Family, np.ndarray]
    discount: np.ndarray
    assessed: np.ndarray
    shape: np.ndarray
    scale: np.ndarray  # volume on novel prompts only (the validation defense)
    coordination: np.ndarray
    campaign: np.ndarray  # campaign evidence inherited from the account's community (campaign_evidence.py)
    score: np.ndarray
    threshold: float
    estimated_fpr: float
    flagged: np.ndarray


def evidence(
    features: dict[str, np.ndarray],
    baselines: dict[str, Baseline],
    not_computed: dict[str, str],
    params: DetectParameters,
) -> tuple[dict[str, np.ndarray], dict[Family, np.ndarray], np.ndarray, np.ndarray]:
    """Signal strengths, family strengths, the validation discount and which accounts are assessed.

    The validation defense counts volume on novel prompts only: a volume signal's value is
    multiplied by the discount (1 - replay share) before it is compared with its baseline. An
    evaluation pipeline, which replays its fixed set, keeps almost no volume; a bot looping a
    prompt set around the clock keeps its novel share, which can still exceed a person's (and
    re-sampling one prompt for several answers is itself a distillation technique).
    """
    assessed = features["requests"] >= params.min_requests
    replay = features["replay_share"] if "replay_share" not in not_computed else np.zeros(len(assessed))
    discount = 1.0 - np.clip(np.nan_to_num(replay, nan=0.0), 0.0, 1.0)
    strengths: dict[str, np.ndarray] = {}
    for signal in SIGNALS:
        if signal.name in not_computed:
            strengths[signal.name] = np.zeros(len(assessed))
            continue
        values = features[signal.name]
        if SCALE_ASPECTS.get(signal.name) is Aspect.VOLUME:
            values = values * discount
        strengths[signal.name] = (
            strength(signal, values, baselines[signal.name], params.saturation) * assessed
        )
    repetition = features.get("template_repetition", np.zeros(len(assessed)))
    novelty = 1.0 - np.clip(np.nan_to_num(repetition, nan=0.0), 0.0, 1.0)
    families = {Family.SCALE: scale_of(strengths), Family.SHAPE: shape_of(strengths) * novelty}
    return strengths, families, discount, assessed


def shape_of(strengths: dict[str, np.ndarray]) -> np.ndarray:
    """Harvesting shape: the weaker of content (what is asked) and takeaway (how much is carried off).

    Each aspect is its strongest signal; the two aspects corroborate each other. Long outputs
    about one task (document generation, coding agents) or step-by-step asks answered briefly
    (tutoring, people) are each ordinary; a training-data harvest has both.
    """
    aspects = [
        np.max(np.stack([strengths[name] for name, a in SHAPE_ASPECTS.items() if a is aspect]), axis=0)
        for aspect in (Aspect.CONTENT, Aspect.TAKEAWAY)
    ]
    weaker: np.ndarray = np.minimum(*aspects)
    return weaker


def scale_of(strengths: dict[str, np.ndarray]) -> np.ndarray:
    """Scale: the two strongest scale signals, capped by the strongest volume signal.

    Round-the-clock, regular traffic at a few requests an hour is what every scheduled job and
    app does; it corroborates collection beyond a person but never stands for it.
    """
    both = corroborated(np.stack([strengths[name] for name in SCALE_ASPECTS]))
    volume = np.max(np.stack([strengths[n] for n, a in SCALE_ASPECTS.items() if a is Aspect.VOLUME]), axis=0)
    capped: np.ndarray = np.minimum(both, volume)
    return capped


def corroborated(stack: np.ndarray, count: int = CORROBORATING) -> np.ndarray:
    """Mean of the `count` strongest of a family's signal strengths (rows: signals)."""
    top = np.sort(stack, axis=0)[-count:]
    mean: np.ndarray = top.mean(axis=0)
    return mean


def coordination_of(evidence: np.ndarray, community: np.ndarray) -> np.ndarray:
    """Mean harvesting evidence of each account's community peers that show any (0 outside one).

    Peers without evidence are left out of the mean: a community also holds people pulled in by
    a shared carrier-NAT or proxy exit, and averaging over them would let a campaign dilute its
    own coordination by renting busier exits. At least `MIN_EVIDENT_PEERS` peers must show
    evidence, so one odd neighbour does not make a coordinated group.
    """
    out = np.zeros(len(evidence))
    linked = community >= 0
    if not linked.any():
        return out
    ids = community[linked]
    own = evidence[linked]
    evident = (own > 0).astype(np.float64)
    totals = np.bincount(ids, weights=own)
    counts = np.bincount(ids, weights=evident)
    peers = counts[ids] - evident
    out[linked] = np.where(peers >= MIN_EVIDENT_PEERS, (totals[ids] - own) / np.maximum(peers, 1), 0.0)
    return out


def calibrate(
    shape: np.ndarray,
    other: np.ndarray,
    score: np.ndarray,
    benign: np.ndarray,
    target: float,
    floor: float,
    unit_identity: np.ndarray | None = None,
    unit_pooled: np.ndarray | None = None,
) -> tuple[float, float]:
    """Smallest score threshold >= floor whose estimated false-positive rate is <= target.

    `benign` selects the accounts whose shape and scale marginals estimate the benign rate of
    an account's own evidence. Campaign evidence is estimated the same way over its units (each
    shared card or key once, so that a campaign's many accounts count as one observation):
    P(identity >= t) x P(pooled >= t). An account can be flagged wrongly by either path, so the
    two rates add (a union bound).
    """
    s, o = np.sort(shape[benign]), np.sort(other[benign])
    ui = np.sort(unit_identity) if unit_identity is not None else np.zeros(0)
    up = np.sort(unit_pooled) if unit_pooled is not None else np.zeros(0)
    candidates = np.unique(np.concatenate((score[score >= floor], [floor, 1.0])))
    for t in candidates:
        fpr = _above(s, t) * _above(o, t) + _above(ui, t) * _above(up, t)
        if fpr <= target:
            return float(t), fpr
    return 1.0, 0.0


def _above(sorted_values: np.ndarray, t: float) -> float:
    """Share of the (sorted) values at or above t (0 for an empty population)."""
    if len(sorted_values) == 0:
        return 0.0
    return float((len(sorted_values) - np.searchsorted(sorted_values, t, side="left")) / len(sorted_values))


def decide(
    strengths: dict[str, np.ndarray],
    families: dict[Family, np.ndarray],
    discount: np.ndarray,
    assessed: np.ndarray,
    community: np.ndarray,
    campaign: np.ndarray,
    benign_proxy: np.ndarray,
    params: DetectParameters,
    unit_identity: np.ndarray | None = None,
    unit_pooled: np.ndarray | None = None,
) -> Scores:
    """Combine families, coordination, campaign evidence and the validation defense into flags.

    An account is scored by the stronger of its own evidence, min(shape, max(scale,
    coordination)), and the campaign evidence it inherits from its community (already
    discounted by the members' replay).
    """
    shape = families[Family.SHAPE]
    scale = families[Family.SCALE]  # its volume already counts novel prompts only
    # peers' harvesting evidence: their own shape (net of replay) or the campaign evidence they inherit
    coordination = coordination_of(np.maximum(shape * discount, campaign * assessed), community)
    other = np.maximum(scale, coordination)
    campaign = campaign * assessed
    score = np.maximum(np.minimum(shape, other), campaign) * assessed
    threshold, fpr = calibrate(
        shape, other, score, benign_proxy, params.target_fpr, params.min_score, unit_identity, unit_pooled
    )
    flagged = (score >= threshold) & (score > 0)
    return Scores(
        strengths,
        families,
        discount,
        assessed,
        shape,
        scale,
        coordination,
        campaign,
        score,
        threshold,
        fpr,
        flagged,
    )
