"""Lineage without a watermark: does the suspect agree with a candidate parent more than with
independent reference models? (in the manner of Nikolić et al. 2025, model provenance testing)

Each probe text is one unit. On it, the suspect's greedy next token is compared with each other
model's at every position (teacher forcing: all models read the same text), giving a per-text
agreement rate. A candidate parent is supported when, text by text, the suspect agrees with it
more often than with every reference model: for each reference a one-sided exact sign test over
texts (texts are independent; positions within a text are not), and the candidate's p-value is the
largest of these (an intersection-union test, valid without any assumption on how the references
relate). Holm's step-down then corrects across candidate parents.

A suspect reachable only through an API is compared on its greedy answers instead: the first
`answer_tokens` tokens of each model's answer, re-tokenised with one shared tokenizer.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import torch
from scipy import stats

from distillgov.forensics.errors import ForensicsError
from distillgov.forensics.models import NextTokenDistributions, SuspectModel, tokenizer_fingerprint
from distillgov.watermark.keys import adjust_p_values

MIN_TEXTS = 10


def greedy_tokens(
    model: SuspectModel, sequences: Sequence[Sequence[int]], starts: Sequence[int]
) -> list[torch.Tensor]:
    """The model's argmax next token at every position from starts[i] on (as tokenizer ids)."""
    out: list[torch.Tensor] = [torch.zeros(0, dtype=torch.long)] * len(sequences)
    for index, dist in model.distributions(sequences, starts):
        best = dist.probs.argmax(dim=1)
        out[index] = dist.column_ids[best]
    return out


def answer_tokens_per_prompt(
    model: SuspectModel, prompts: Sequence[str], shared_tokenizer: Any, answer_tokens: int
) -> list[torch.Tensor]:
    """The first tokens of each greedy answer, in one tokenizer so that any two models compare."""
    answers = model.chat(prompts, answer_tokens * 2, greedy=True)
    return [
        torch.tensor(
            shared_tokenizer(a, add_special_tokens=False)["input_ids"][:answer_tokens], dtype=torch.long
        )
        for a in answers
    ]


def agreement(a: Sequence[torch.Tensor], b: Sequence[torch.Tensor]) -> npt.NDArray[np.float64]:
    """Per text: share of positions where both models pick the same token (compared up to the shorter)."""
    rates = []
    for x, y in zip(a, b, strict=True):
        n = min(len(x), len(y))
        rates.append(float((x[:n] == y[:n]).float().mean()) if n else np.nan)
    return np.array(rates)


def sign_test(differences: npt.NDArray[np.float64]) -> float:
    """One-sided exact sign test that differences are positive more often than negative (ties dropped)."""
    valid = differences[~np.isnan(differences)]
    positive, negative = int((valid > 0).sum()), int((valid < 0).sum())
    if positive + negative == 0:
        return 1.0
    return float(stats.binom.sf(positive - 1, positive + negative, 0.5))


@dataclass(frozen=True)
class ParentVerdict:
    """One candidate parent: how much more the suspect agrees with it than with the references."""

    candidate: str
    agreement: float  # mean per-text agreement with the suspect
    best_reference: str
    best_reference_agreement: float
    p_value: float  # largest sign-test p over references
    adjusted_p_value: float  # Holm over candidates
    significant: bool


def lineage_test(
    suspect_picks: Sequence[torch.Tensor],
    candidate_picks: Mapping[str, Sequence[torch.Tensor]],
    reference_picks: Mapping[str, Sequence[torch.Tensor]],
    alpha: float = 1e-3,
) -> list[ParentVerdict]:
    """Greedy agreement: which candidates the suspect is closer to than to every reference."""
    return similarity_test(
        {name: agreement(suspect_picks, picks) for name, picks in candidate_picks.items()},
        {name: agreement(suspect_picks, picks) for name, picks in reference_picks.items()},
        alpha,
    )


def distribution_similarity(
    suspect: SuspectModel,
    others: Mapping[str, SuspectModel],
    sequences: Sequence[Sequence[int]],
    starts: Sequence[int],
) -> dict[str, npt.NDArray[np.float64]]:
    """Per text, one minus the mean total-variation distance between the suspect's next-token
    distributions and each other model's: unlike greedy agreement it still tells weak models apart,
    whose argmax is the same frequent token almost everywhere."""
    scores = {name: np.full(len(sequences), np.nan) for name in others}
    for index in range(len(sequences)):
        one, first = [sequences[index]], [starts[index]]
        mine = [_dense(d) for _, d in suspect.distributions(one, first)]
        if not mine:
            continue
        for name, model in others.items():
            theirs = [_dense(d) for _, d in model.distributions(one, first)]
            n = min(len(mine[0]), len(theirs[0]))
            distance = 0.5 * (mine[0][:n] - theirs[0][:n]).abs().sum(dim=1)
            scores[name][index] = 1.0 - float(distance.mean())
    return scores


def _dense(dist: NextTokenDistributions) -> torch.Tensor:
    """The distribution over the whole vocabulary (a pruned student's spread shared by the ids it lacks)."""
    outside = dist.vocab_size - len(dist.column_ids)
    fill = (dist.spread / outside)[:, None] if outside > 0 else torch.zeros(len(dist.probs), 1)
    full = fill.expand(len(dist.probs), dist.vocab_size).clone()
    full[:, dist.column_ids] = dist.probs[:, : len(dist.column_ids)]
    return full


def similarity_test(
    candidate_scores: Mapping[str, npt.NDArray[np.float64]],
    reference_scores: Mapping[str, npt.NDArray[np.float64]],
    alpha: float = 1e-3,
) -> list[ParentVerdict]:
    """Which candidates the suspect is closer to than to every reference (per-text similarity scores)."""
    if not candidate_scores or not reference_scores:
        raise ForensicsError(
            "lineage needs at least one candidate parent and one independent reference model"
        )
    n_texts = len(next(iter(candidate_scores.values())))
    if n_texts < MIN_TEXTS:
        raise ForensicsError(f"lineage needs at least {MIN_TEXTS} probe texts, got {n_texts}")
    reference_rates = dict(reference_scores)
    raw: dict[str, tuple[float, str, float, float]] = {}
    for name, rates in candidate_scores.items():
        worst_p, worst_ref = 0.0, ""
        for ref_name, ref_rates in reference_rates.items():
            p = sign_test(rates - ref_rates)
            if p >= worst_p:
                worst_p, worst_ref = p, ref_name
        raw[name] = (
            float(np.nanmean(rates)),
            worst_ref,
            float(np.nanmean(reference_rates[worst_ref])),
            worst_p,
        )
    adjusted = adjust_p_values({name: values[3] for name, values in raw.items()}, "holm")
    verdicts = [
        ParentVerdict(name, mean, ref, ref_mean, p, adjusted[name], adjusted[name] <= alpha)
        for name, (mean, ref, ref_mean, p) in raw.items()
    ]
    return sorted(verdicts, key=lambda v: (v.adjusted_p_value, -v.agreement))


def open_lineage(
    suspect: SuspectModel,
    candidates: Mapping[str, SuspectModel],
    references: Mapping[str, SuspectModel],
    sequences: Sequence[Sequence[int]],
    starts: Sequence[int],
    alpha: float = 1e-3,
    statistic: str = "agreement",
) -> list[dict[str, Any]]:
    """Teacher-forced greedy agreement (or distributional similarity, `statistic="distance"`) on shared
    probe texts; every model must share one tokenizer."""
    fingerprint = tokenizer_fingerprint(suspect.tokenizer)
    for name, model in {**candidates, **references}.items():
        if tokenizer_fingerprint(model.tokenizer) != fingerprint:
            raise ForensicsError(
                f"tokenizer mismatch: {name} does not share the suspect's tokenizer, so next tokens cannot "
                "be compared position by position; use the answer-based mode (--mode answers)"
            )
    if statistic == "distance":
        scores = distribution_similarity(suspect, {**candidates, **references}, sequences, starts)
        distance_verdicts = similarity_test(
            {name: scores[name] for name in candidates}, {name: scores[name] for name in references}, alpha
        )
        return [asdict(v) for v in distance_verdicts]
    if statistic != "agreement":
        raise ForensicsError(f"unknown lineage statistic {statistic!r}: use agreement or distance")
    suspect_picks = greedy_tokens(suspect, sequences, starts)
    verdicts = lineage_test(
        suspect_picks,
        {name: greedy_tokens(m, sequences, starts) for name, m in candidates.items()},
        {name: greedy_tokens(m, sequences, starts) for name, m in references.items()},
        alpha,
    )
    return [asdict(v) for v in verdicts]


def answer_lineage(
    suspect: SuspectModel,
    candidates: Mapping[str, SuspectModel],
    references: Mapping[str, SuspectModel],
    prompts: Sequence[str],
    shared_tokenizer: Any,
    answer_tokens: int = 16,
    alpha: float = 1e-3,
) -> list[dict[str, Any]]:
    """Greedy-answer agreement: works for suspects reachable only through an API."""

    def picks(model: SuspectModel) -> list[torch.Tensor]:
        return answer_tokens_per_prompt(model, prompts, shared_tokenizer, answer_tokens)

    verdicts = lineage_test(
        picks(suspect),
        {name: picks(m) for name, m in candidates.items()},
        {name: picks(m) for name, m in references.items()},
        alpha,
    )
    return [asdict(v) for v in verdicts]
