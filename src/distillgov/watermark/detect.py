"""Exact, valid KGW detection: one binomial test over distinct (context, token) pairs.

Two rules make the p-value mean what it says (Sander et al. 2024, "Watermarking makes language
models radioactive"). A (context, token) pair that occurs twice is green twice or not at all, so
repeats are not independent trials: each pair is scored once across the whole text set. A
position whose context reaches into the prompt was not chosen under the watermark's control alone
(the prompt may itself be watermarked text, or repeat across requests): it is skipped. Under the
null — text written without this key — each remaining pair is then green independently with
probability gamma (see `kgw.py`), and the green count is exactly binomial. The tail is computed
exactly with scipy (`binom.sf`); the normal approximation common libraries use is off by orders
of magnitude beyond z ~ 6.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any, Protocol

import numpy as np
import torch
from scipy.stats import binom

from distillgov.watermark.kgw import GreenList

DEFAULT_SIGNIFICANCE = 1e-3


class InsufficientTokensError(ValueError):
    """Too few scorable tokens for the requested significance: no p-value is computed on nothing."""


class TokenizerMismatchError(ValueError):
    """The text's tokenizer is not the one the watermark key was made for."""


class Tokenizer(Protocol):
    """The part of a Hugging Face tokenizer detection uses."""

    def __len__(self) -> int: ...

    def __call__(self, text: list[str], add_special_tokens: bool = ...) -> Any: ...


@dataclass(frozen=True)
class WatermarkScore:
    """A one-sided test of 'this text set was generated with this key'; small p means watermarked."""

    n_scored: int
    n_green: int
    gamma: float
    z: float
    p_value: float
    n_skipped_duplicates: int
    n_skipped_prompt_context: int
    n_skipped_no_context: int
    n_tokens: int
    key_id: str
    context_width: int

    @property
    def green_fraction(self) -> float:
        return self.n_green / self.n_scored

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "green_fraction": self.green_fraction}


def minimum_scored_tokens(gamma: float, significance: float) -> int:
    """The fewest scored pairs with which p <= significance is reachable at all (every pair green)."""
    if not 0.0 < significance < 1.0:
        raise ValueError(f"significance must lie strictly between 0 and 1, got {significance}")
    return max(1, math.ceil(math.log(significance) / math.log(gamma) - 1e-9))


def binomial_test(n_green: int, n_scored: int, gamma: float) -> tuple[float, float]:
    """(z, exact one-sided p-value) of n_green successes in n_scored Bernoulli(gamma) trials."""
    z = (n_green - gamma * n_scored) / math.sqrt(n_scored * gamma * (1.0 - gamma))
    p_value = float(binom.sf(n_green - 1, n_scored, gamma))
    return z, p_value


def _check_ids(sequence: np.ndarray, index: int, vocab_size: int) -> None:
    if sequence.size and (sequence.min() < 0 or sequence.max() >= vocab_size):
        raise TokenizerMismatchError(
            f"sequence {index} holds token ids outside [0, {vocab_size}): it was not tokenised with the "
            "tokenizer this key was made for"
        )


def score_token_ids(
    green_list: GreenList,
    sequences: Sequence[Sequence[int]],
    prompt_lengths: Sequence[int] | None = None,
    dedupe: bool = True,
    significance: float = DEFAULT_SIGNIFICANCE,
) -> WatermarkScore:
    """Test token sequences against one key.

    `sequences` are token ids; when `prompt_lengths` is given, sequence i starts with its prompt of
    `prompt_lengths[i]` tokens, and positions whose context touches it are skipped. Without prompt
    lengths the sequences are completions alone and their first `context_width` tokens, whose
    context is not in the text, are skipped. Raises `InsufficientTokensError` when fewer pairs
    remain than `significance` could ever be reached with.
    """
    if prompt_lengths is not None and len(prompt_lengths) != len(sequences):
        raise ValueError(f"{len(prompt_lengths)} prompt lengths for {len(sequences)} sequences")
    width = green_list.params.context_width
    windows: list[np.ndarray] = []
    skipped_prompt = skipped_no_context = n_tokens = 0
    for index, tokens in enumerate(sequences):
        ids = np.asarray(tokens, dtype=np.int64)
        _check_ids(ids, index, green_list.vocab_size)
        prompt = 0 if prompt_lengths is None else prompt_lengths[index]
        if not 0 <= prompt <= ids.size:
            raise ValueError(f"sequence {index}: prompt length {prompt} outside [0, {ids.size}]")
        completion = ids.size - prompt
        n_tokens += completion
        first_scored = prompt + width
        unscorable = min(completion, width)
        if prompt > 0:
            skipped_prompt += unscorable
        else:
            skipped_no_context += unscorable
        if ids.size > first_scored:
            window = np.lib.stride_tricks.sliding_window_view(ids, width + 1)
            windows.append(window[first_scored - width :])
    pairs = np.concatenate(windows) if windows else np.empty((0, width + 1), dtype=np.int64)
    n_pairs = pairs.shape[0]
    if dedupe and n_pairs:
        pairs = np.unique(pairs, axis=0)
    skipped_duplicates = n_pairs - pairs.shape[0]
    n_scored = pairs.shape[0]
    gamma = green_list.params.exact_gamma
    needed = minimum_scored_tokens(gamma, significance)
    if n_scored < needed:
        raise InsufficientTokensError(
            f"only {n_scored} distinct scorable (context, token) pairs (of {n_tokens} completion tokens; "
            f"{skipped_duplicates} repeats, {skipped_prompt} with prompt context); at gamma={gamma:g} a "
            f"p-value of {significance:g} needs at least {needed}: supply more text"
        )
    contexts = torch.from_numpy(np.ascontiguousarray(pairs[:, :width]))
    targets = torch.from_numpy(np.ascontiguousarray(pairs[:, width]))
    n_green = int(green_list.is_green(contexts, targets).sum())
    z, p_value = binomial_test(n_green, n_scored, gamma)
    return WatermarkScore(
        n_scored=n_scored,
        n_green=n_green,
        gamma=gamma,
        z=z,
        p_value=p_value,
        n_skipped_duplicates=skipped_duplicates,
        n_skipped_prompt_context=skipped_prompt,
        n_skipped_no_context=skipped_no_context,
        n_tokens=n_tokens,
        key_id=green_list.key_id,
        context_width=width,
    )


def tokenize_for_detection(
    vocab_size: int, texts: Sequence[str], tokenizer: Tokenizer, prompts: Sequence[str] | None = None
) -> tuple[list[list[int]], list[int] | None]:
    """Token ids (prompt first when given) and prompt lengths, after checking the tokenizer fits the key."""
    if len(tokenizer) != vocab_size:
        raise TokenizerMismatchError(
            f"the tokenizer has {len(tokenizer)} tokens but the watermark key was made for a vocabulary of "
            f"{vocab_size}: detect with the tokenizer of the model that generated the text"
        )
    if prompts is not None and len(prompts) != len(texts):
        raise ValueError(f"{len(prompts)} prompts for {len(texts)} texts")
    completions = tokenizer(list(texts), add_special_tokens=False)["input_ids"]
    if prompts is None:
        return [list(ids) for ids in completions], None
    prompt_ids = tokenizer(list(prompts), add_special_tokens=False)["input_ids"]
    sequences = [list(p) + list(c) for p, c in zip(prompt_ids, completions, strict=True)]
    return sequences, [len(p) for p in prompt_ids]


def score_text(
    green_list: GreenList,
    texts: Sequence[str],
    tokenizer: Tokenizer,
    prompts: Sequence[str] | None = None,
    dedupe: bool = True,
    significance: float = DEFAULT_SIGNIFICANCE,
) -> WatermarkScore:
    """`score_token_ids` on strings, tokenised as the generator's tokenizer would (no special tokens)."""
    sequences, prompt_lengths = tokenize_for_detection(green_list.vocab_size, texts, tokenizer, prompts)
    return score_token_ids(green_list, sequences, prompt_lengths, dedupe, significance)
