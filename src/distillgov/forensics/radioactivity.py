"""Radioactivity: was the suspect trained on text watermarked with this key?

Two modes (Sander et al. 2024, "Watermarking makes language models radioactive").

Closed model: the suspect writes answers, and the answers are scored like any text
(`watermark.detect`, one score per distinct (context, token) pair, prompt contexts skipped).

Open model: the suspect's own next-token distributions are read on probe texts, and the statistic
is the probability mass it puts on the key's green tokens — the whole distribution rather than
whether its argmax happens to be green, which is what makes small students' inherited bias visible.
Positions are grouped by their watermark context (the `context_width` tokens the green list is
seeded from) and their distributions averaged, so each context is scored once. Under the null (a
model, and probe texts, that never depended on this key) the key's greenness of every (context,
token) pair is an independent Bernoulli(gamma) draw, so each context's green mass G has mean gamma
and a variance (and third cumulant) computed exactly from the averaged distribution; contexts are
independent, and the standardised sum is normal up to a skewness term we correct for (one-term
Edgeworth). The result also reports the same statistic under many random keys: their spread is
the empirical check that the null is what the formula says.

"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import torch
from rich.progress import Progress
from scipy import optimize, stats

from distillgov.forensics.errors import ForensicsError
from distillgov.forensics.models import SuspectModel, require_same_tokenizer
from distillgov.watermark.detect import InsufficientTokensError, score_token_ids
from distillgov.watermark.kgw import GreenList

CHECKPOINTS = (50, 100, 200, 500, 1_000, 2_000, 5_000, 10_000, 20_000, 50_000, 100_000, 200_000)
_FLOATS_IN_MEMORY = 150_000_000  # ~600 MB of averaged distributions, whatever the vocabulary
MIN_CONTEXTS = 100  # below this the normal tail (even skew-corrected) is not to be trusted


@dataclass(frozen=True)
class CurvePoint:
    """The evidence after the first `scored` contexts (open) or distinct pairs (closed)."""

    scored: int
    tokens_read: int
    z: float
    p_value: float


@dataclass(frozen=True)
class RandomKeyCheck:
    """The statistic under keys nobody used: should look like N(0, 1)."""

    n_keys: int
    z_mean: float
    z_std: float
    ks_p_value: float  # Kolmogorov-Smirnov against N(0, 1)
    empirical_p_value: float  # (1 + #random z >= observed z) / (1 + n_keys): assumption-free, coarse


@dataclass(frozen=True)
class RadioactivityResult:
    """One suspect against one key; a small p-value means it carries the key's watermark."""

    mode: str
    key_id: str
    z: float
    p_value: float
    scored: int  # distinct contexts (open) or distinct (context, token) pairs (closed)
    tokens_read: int
    effect: float  # open: mean green mass minus gamma; closed: green fraction minus gamma
    gamma: float
    curve: list[CurvePoint]
    scored_for_p_1e_3: int | None  # how many scored units it took to cross p < 1e-3 (None: never)
    random_keys: RandomKeyCheck | None = None
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def random_green_lists(template: GreenList, n_keys: int, seed: int) -> list[GreenList]:
    """Keys drawn from a seeded stream: reproducible calibration, independent of the real key."""
    keys = [hashlib.sha256(f"calibration-key:{seed}:{i}".encode()).digest() for i in range(n_keys)]
    return [GreenList(key, template.vocab_size, template.params) for key in keys]


def _edgeworth_sf(z: float, skew: float) -> float:
    """P(Z >= z) for a standardised sum with skewness `skew` (one-term Edgeworth), clipped to [0, 1]."""
    tail = float(stats.norm.sf(z)) + float(stats.norm.pdf(z)) * skew / 6.0 * (z * z - 1.0)
    return min(1.0, max(tail, 0.0))


@dataclass
class ContextMasses:
    """Averaged next-token distributions per watermark context, in the suspect's columns."""

    contexts: torch.Tensor  # [n, width] token ids
    mean_probs: torch.Tensor  # [n, columns]
    mean_spread: torch.Tensor  # [n]
    positions: torch.Tensor  # [n] how many positions each context averaged
    first_seen_tokens: torch.Tensor  # [n] tokens read when the context was first met
    column_ids: torch.Tensor
    vocab_size: int
    tokens_read: int


def read_context_masses(
    suspect: SuspectModel,
    sequences: Sequence[Sequence[int]],
    starts: Sequence[int],
    context_width: int,
    max_contexts: int | None = None,
    batch_size: int = 8,
    show_progress: bool = False,
) -> ContextMasses:
    """Average the suspect's distributions over every position with the same watermark context."""
    index: dict[tuple[int, ...], int] = {}
    sums: torch.Tensor | None = None
    spreads = counts = first_seen = torch.zeros(0)
    column_ids = torch.zeros(0, dtype=torch.long)
    vocab_size = tokens_read = 0
    capacity = max_contexts or 0
    with Progress(disable=not show_progress, transient=True) as progress:
        task = progress.add_task("reading next-token distributions", total=len(sequences))
        for seq_index, dist in suspect.distributions(sequences, starts, batch_size=batch_size):
            progress.advance(task)
            if sums is None:
                column_ids, vocab_size = dist.column_ids, dist.vocab_size
                limit = _FLOATS_IN_MEMORY // max(1, len(column_ids))
                capacity = min(capacity or limit, limit)
                sums = torch.zeros((capacity, len(column_ids)))
                spreads, counts, first_seen = (torch.zeros(capacity) for _ in range(3))
            sequence = list(sequences[seq_index])
            rows: list[int] = []
            keep: list[int] = []
            for offset in range(dist.probs.shape[0]):
                position = dist.first_position + offset
                if position < context_width:
                    continue
                context = tuple(sequence[position - context_width : position])
                row = index.get(context)
                if row is None and len(index) < capacity:
                    row = index[context] = len(index)
                    first_seen[row] = tokens_read + offset
                if row is not None:
                    rows.append(row)
                    keep.append(offset)
            tokens_read += dist.probs.shape[0]
            if rows:
                rows_t, keep_t = torch.tensor(rows), torch.tensor(keep)
                sums.index_add_(0, rows_t, dist.probs[keep_t])
                spreads.index_add_(0, rows_t, dist.spread[keep_t])
                counts.index_add_(0, rows_t, torch.ones(len(rows)))
    n = len(index)
    if sums is None or n == 0:
        raise ForensicsError("no scorable positions: the probe texts are empty or shorter than the context")
    contexts = torch.tensor(list(index.keys()), dtype=torch.long).view(n, context_width)
    counts = counts[:n]
    return ContextMasses(
        contexts,
        sums[:n] / counts[:, None],
        spreads[:n] / counts,
        counts,
        first_seen[:n],
        column_ids,
        vocab_size,
        tokens_read,
    )


@dataclass(frozen=True)
class ContextScores:
    """Per context: weighted excess green mass over gamma, and its exact null variance and third cumulant.

    Weighting by (1 - s) / s (s = collision mass), the locally most powerful choice if marking
    shifted every context's logits alike, was tried on the tiny-model fixture and turned z = 10.6
    into z = -1.4: the inherited signal sits in well-learned contexts, not in a uniform shift. What
    does predict it is how often the suspect could have seen the context in marked text, which is
    what `served_context_weights` measures.
    """

    excess: torch.Tensor
    variance: torch.Tensor
    third: torch.Tensor
    ceiling: torch.Tensor  # the excess each context would show with all its mass green
    weights: torch.Tensor  # per context (ones when unweighted)

    def z_and_p(self) -> tuple[float, float]:
        """The standardised sum and its skew-corrected upper tail."""
        sd = math.sqrt(float(self.variance.sum()))
        if sd == 0:
            raise ForensicsError(
                "the suspect's distributions are degenerate (all mass on tokens no key can split)"
            )
        z = float(self.excess.sum()) / sd
        return z, _edgeworth_sf(z, float(self.third.sum()) / sd**3)

    def reachable_p(self) -> float:
        """The smallest p-value these contexts could give (every context's mass all green)."""
        sd = math.sqrt(float(self.variance.sum()))
        return _edgeworth_sf(float(self.ceiling.sum()) / sd, float(self.third.sum()) / sd**3)

    def effective_contexts(self) -> float:
        """How many equally weighted contexts would give the same variance concentration."""
        return float(self.variance.sum() ** 2 / (self.variance**2).sum())


def served_context_weights(
    served: Sequence[Sequence[int]], context_width: int, exponent: float = 0.5
) -> dict[tuple[int, ...], float]:
    """count ** exponent for each watermark context in text the provider served (answer tokens only).

    A student inherits the mark where it saw marked continuations, so contexts the provider served
    often carry the signal and contexts it never served carry only noise. The counts must come from
    text written under a key *other* than the one tested — the other secret split of the same
    account group is the natural source — so that the weights cannot depend on the tested key and
    the null stays exact. The square root damps the few very frequent contexts (" the", ",") so
    that they do not take over the variance.
    """
    counts: dict[tuple[int, ...], int] = {}
    for sequence in served:
        for position in range(context_width, len(sequence)):
            context = tuple(sequence[position - context_width : position])
            counts[context] = counts.get(context, 0) + 1
    return {context: count**exponent for context, count in counts.items()}


def context_scores(
    masses: ContextMasses,
    green_list: GreenList,
    weights: Mapping[tuple[int, ...], float] | None = None,
    chunk: int = 256,
) -> ContextScores:
    """Each context's green mass under `green_list`, with its null moments under a random key.

    Only the model's own columns are hashed. The mass a pruned student spreads over the ids it lacks
    enters at its null expectation (gamma times that mass): it carries no signal (the student cannot
    prefer one missing id over another), and leaving out its randomness keeps the moments exact
    while hashing a few thousand columns instead of the whole vocabulary.
    """
    gamma = green_list.params.exact_gamma
    kappa = gamma * (1 - gamma)
    columns = masses.column_ids.to(torch.int64)
    green, variance, third = [], [], []
    for first in range(0, len(masses.contexts), chunk):
        rows = slice(first, first + chunk)
        in_columns = green_list.green_for(masses.contexts[rows], columns).float()
        probs, spread = masses.mean_probs[rows], masses.mean_spread[rows]
        green.append((probs * in_columns).sum(1) + gamma * spread)
        variance.append(kappa * (probs**2).sum(1))
        third.append(kappa * (1 - 2 * gamma) * (probs**3).sum(1))
    excess = torch.cat(green).double() - gamma
    w = torch.ones_like(excess)
    if weights is not None:
        listed = masses.contexts.tolist()
        w = torch.tensor([weights.get(tuple(row), 0.0) for row in listed], dtype=torch.float64)
    return ContextScores(
        excess=w * excess,
        variance=w**2 * torch.cat(variance).double(),
        third=w**3 * torch.cat(third).double(),
        ceiling=w * (1 - gamma),
        weights=w,
    )


def chernoff_p_bound(masses: ContextMasses, scores: ContextScores, gamma: float) -> float:
    """A rigorous upper bound on the p-value, with no normal approximation.

    The statistic is sum over (context, token) of a * (B - gamma), a = weight * probability, with
    every B an independent Bernoulli(gamma) under the null; its moment generating function is
    therefore known exactly, and Chernoff's inequality P(S >= s) <= min_t E[exp(tS)] exp(-ts)
    bounds the tail. The bound is conservative (a true p-value is smaller), which is what a court
    can rely on when a few heavily weighted contexts make the normal tail doubtful.
    """
    observed = float(scores.excess.sum())
    if observed <= 0:
        return 1.0
    coefficients = (masses.mean_probs.double() * scores.weights[:, None]).flatten()
    coefficients = coefficients[coefficients > 0]

    def log_bound(t: float) -> float:
        terms = torch.log1p(gamma * torch.expm1(t * coefficients)) - t * gamma * coefficients
        return float(terms.sum()) - t * observed

    high = observed / float(scores.variance.sum())  # the optimum for a Gaussian tail
    while log_bound(2 * high) < log_bound(high) and high < 1e6:
        high *= 2
    best = optimize.minimize_scalar(log_bound, bounds=(0.0, 2 * high), method="bounded")
    return float(min(1.0, math.exp(min(float(best.fun), 0.0))))


def _checkpoints(order_tokens: torch.Tensor, scores: ContextScores) -> tuple[list[CurvePoint], int | None]:
    """p-values after the first n contexts (in reading order), and where p first fell below 1e-3."""
    cum_excess, cum_var = scores.excess.cumsum(0), scores.variance.cumsum(0)
    cum_third = scores.third.cumsum(0)
    n = len(scores.excess)
    marks = sorted({m for m in CHECKPOINTS if m < n} | {n})
    curve = []
    for mark in marks:
        sd = math.sqrt(float(cum_var[mark - 1]))
        z = float(cum_excess[mark - 1]) / sd if sd > 0 else 0.0
        skew = float(cum_third[mark - 1]) / sd**3 if sd > 0 else 0.0
        curve.append(CurvePoint(mark, int(order_tokens[mark - 1]) + 1, z, _edgeworth_sf(z, skew)))
    crossing = None
    sd_all = cum_var.sqrt()
    z_all = cum_excess / sd_all
    candidates = torch.nonzero(z_all > 3.0).flatten().tolist()  # p < 1e-3 needs z > 3.09 at least
    for i in candidates:
        if _edgeworth_sf(float(z_all[i]), float(cum_third[i]) / float(sd_all[i]) ** 3) < 1e-3:
            crossing = i + 1
            break
    return curve, crossing


def open_model_test(
    suspect: SuspectModel,
    key_tokenizer: Any,
    green_list: GreenList,
    probe_sequences: Sequence[Sequence[int]],
    probe_starts: Sequence[int] | None = None,
    *,
    calibration_keys: int = 20,
    calibration_seed: int = 0,
    significance: float = 1e-3,
    max_contexts: int | None = None,
    masses: ContextMasses | None = None,
    weights: Mapping[tuple[int, ...], float] | None = None,
    show_progress: bool = False,
) -> RadioactivityResult:
    """Green probability mass of the suspect's next-token distributions on probe texts.

    Probe texts must not themselves be written under this key (use another teacher's text, the
    suspect's own prompts, or plain corpus text): a key-dependent probe could put green tokens
    into the contexts and bias the null. `masses` lets several keys share one reading; `weights`
    (from `served_context_weights`, never from text marked under this key) weight the contexts.
    The unweighted statistic is reported in `details` either way.
    """
    require_same_tokenizer(key_tokenizer, suspect)
    if len(key_tokenizer) != green_list.vocab_size:
        raise ForensicsError(
            f"the key was made for a {green_list.vocab_size}-token vocabulary but the tokenizer has "
            f"{len(key_tokenizer)}: derive the key for the teacher's tokenizer"
        )
    width = green_list.params.context_width
    if masses is None:
        starts = probe_starts if probe_starts is not None else [0] * len(probe_sequences)
        masses = read_context_masses(
            suspect, probe_sequences, starts, width, max_contexts, show_progress=show_progress
        )
    plain = context_scores(masses, green_list)
    scores = plain if weights is None else context_scores(masses, green_list, weights)
    n = int((scores.ceiling > 0).sum())
    best = scores.reachable_p()
    if n < MIN_CONTEXTS or best > significance:
        raise ForensicsError(
            f"only {n} distinct watermark contexts{' with a served weight' if weights else ''} in the probe "
            f"texts: the test needs at least "
            f"{MIN_CONTEXTS} for a trustworthy normal tail, and enough that an all-green suspect could "
            f"reach p = {significance:g} (best possible here {best:.2g}); supply more probe text"
        )
    z, p_value = scores.z_and_p()
    curve, crossing = _checkpoints(masses.first_seen_tokens, scores)
    random_check = None
    if calibration_keys > 0:
        null_z = [
            context_scores(masses, other, weights).z_and_p()[0]
            for other in random_green_lists(green_list, calibration_keys, calibration_seed)
        ]
        random_check = _random_key_check(np.array(null_z), z)
    return RadioactivityResult(
        mode="open",
        key_id=green_list.key_id,
        z=z,
        p_value=p_value,
        scored=n,
        tokens_read=masses.tokens_read,
        effect=float(plain.excess.mean()),
        gamma=green_list.params.exact_gamma,
        curve=curve,
        scored_for_p_1e_3=crossing,
        random_keys=random_check,
        details={
            "positions_averaged": int(masses.positions.sum()),
            "context_width": width,
            "effective_contexts": round(scores.effective_contexts(), 1),
            "chernoff_p_value_bound": chernoff_p_bound(masses, scores, green_list.params.exact_gamma),
            "weighted_by_served_contexts": weights is not None,
            **({} if weights is None else _unweighted_figures(plain)),
        },
    )


def _unweighted_figures(plain: ContextScores) -> dict[str, float]:
    z, p_value = plain.z_and_p()
    return {"unweighted_z": z, "unweighted_p_value": p_value}


def _random_key_check(null_z: np.ndarray, observed: float) -> RandomKeyCheck:
    return RandomKeyCheck(
        n_keys=len(null_z),
        z_mean=float(null_z.mean()),
        z_std=float(null_z.std(ddof=1)) if len(null_z) > 1 else float("nan"),
        ks_p_value=float(stats.kstest(null_z, "norm").pvalue),
        empirical_p_value=float((1 + np.sum(null_z >= observed)) / (1 + len(null_z))),
    )


def closed_model_test(
    answer_ids: Sequence[Sequence[int]],
    green_list: GreenList,
    *,
    significance: float = 1e-3,
    calibration_keys: int = 20,
    calibration_seed: int = 0,
) -> RadioactivityResult:
    """The suspect's answers (in the key's token ids, prompts excluded) scored as watermarked text."""
    try:
        score = score_token_ids(green_list, answer_ids, significance=significance)
    except InsufficientTokensError as error:
        raise ForensicsError(f"closed-model radioactivity: {error}") from error
    curve: list[CurvePoint] = []
    crossing = None
    tokens = np.cumsum([len(s) for s in answer_ids])
    for count in sorted(
        {c for c in (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000) if c < len(answer_ids)}
        | {len(answer_ids)}
    ):
        try:
            partial = score_token_ids(green_list, answer_ids[:count], significance=0.5)
        except InsufficientTokensError:
            continue
        curve.append(CurvePoint(partial.n_scored, int(tokens[count - 1]), partial.z, partial.p_value))
        if crossing is None and partial.p_value < 1e-3:
            crossing = partial.n_scored
    random_check = None
    if calibration_keys > 0:
        null_z = [
            score_token_ids(other, answer_ids, significance=0.5).z
            for other in random_green_lists(green_list, calibration_keys, calibration_seed)
        ]
        random_check = _random_key_check(np.array(null_z), score.z)
    return RadioactivityResult(
        mode="closed",
        key_id=green_list.key_id,
        z=score.z,
        p_value=score.p_value,
        scored=score.n_scored,
        tokens_read=score.n_tokens,
        effect=score.green_fraction - score.gamma,
        gamma=score.gamma,
        curve=curve,
        scored_for_p_1e_3=crossing,
        random_keys=random_check,
        details={"watermark_score": score.to_dict()},
    )


def suspect_answers(
    suspect: SuspectModel, key_tokenizer: Any, prompts: Sequence[str], max_new_tokens: int, seed: int = 0
) -> list[list[int]]:
    """The suspect's sampled answers, re-tokenised with the key's tokenizer (any suspect, any tokenizer)."""
    answers = suspect.chat(prompts, max_new_tokens, seed=seed)
    return [list(key_tokenizer(a, add_special_tokens=False)["input_ids"]) for a in answers]


@dataclass(frozen=True)
class KeySplitComparison:
    """Is the captured split more radioactive than the held-back split? (z_a - z_b) / sqrt(2) ~ N(0, 1)."""

    z_captured: float
    z_control: float
    z_difference: float
    p_value: float


def compare_split_keys(captured: RadioactivityResult, control: RadioactivityResult) -> KeySplitComparison:
    """Under the null both keys' statistics are independent standard normals, so their scaled
    difference is too; a suspect that trained on one split and not the other stands out here even
    when it shares unrelated quirks with the control."""
    difference = (captured.z - control.z) / math.sqrt(2.0)
    return KeySplitComparison(captured.z, control.z, difference, float(stats.norm.sf(difference)))
