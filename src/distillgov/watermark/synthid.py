"""SynthID-Text (Dathathri et al., Nature 2024) through transformers' own implementation, with an exact test.

Generation uses transformers' `SynthIDTextWatermarkingConfig` unchanged, with its `depth` integer
keys derived from our key. Detection needs a p-value, which transformers does not give (its
detector is a Bayesian classifier that must be trained on watermarked and plain text of the same
model). The score here is the sum of g-values over every distinct n-gram and depth, and its null
distribution is computed *exactly, conditional on the text*:

In transformers' scheme the g-value of an n-gram at depth d is `table[((h + k_d) * A + 1) mod T]`,
where `h` is the n-gram's hash, `k_d` the depth's key, `A` the LCG multiplier and `T = 2**16` the
public sampling table's size. Reduction modulo T is a ring homomorphism, so only the low 16 bits
of `h` and `k_d` matter. For a text written without the key, the key's residues are uniform and
independent across depths, so the depth-d contribution is `C(k_d mod T)` with
`C(s) = sum_h hist[h] * table[((h + s) A + 1) mod T]` — a circular cross-correlation computed for
all T shifts at once by FFT. The null of the total is the `depth`-fold convolution of the
distribution of C over s, which we convolve directly (all terms positive: no cancellation, so
tail probabilities far below 1e-16 stay accurate). Collisions of n-gram hashes and repeated text
are accounted for exactly, because the distribution is computed for this very text. When the
support gets too wide to convolve directly (hundreds of thousands of distinct n-grams), the
p-value is the Chernoff bound `min_t exp(-t S) E[exp(t C)]^depth` — conservative, never too small.

Why not simulation under random keys? It is the same null, but a simulated p-value cannot go
below 1/(simulations + 1); enumerating all 2**16 key residues gives the exact one. A test
compares the two.

Caveat worth stating in any report: transformers' hash leaves 16 bits of key per depth in effect.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import torch
from scipy.optimize import minimize_scalar
from transformers import SynthIDTextWatermarkingConfig

from distillgov.watermark.detect import InsufficientTokensError, TokenizerMismatchError
from distillgov.watermark.keys import key_fingerprint

_LCG_MULTIPLIER = 6364136223846793005  # transformers' accumulate_hash default
_EXACT_SUPPORT_LIMIT = 60_000  # widest convolved support before the Chernoff bound takes over


@dataclass(frozen=True)
class SynthIDParams:
    """SynthID settings; `depth` is the number of tournament layers (one integer key each)."""

    ngram_len: int = 5
    depth: int = 30
    sampling_table_size: int = 1 << 16
    sampling_table_seed: int = 0
    context_history_size: int = 1024

    def __post_init__(self) -> None:
        if self.ngram_len < 2:
            raise ValueError(f"ngram_len must be >= 2, got {self.ngram_len}")
        if self.depth < 1:
            raise ValueError(f"depth must be >= 1, got {self.depth}")
        if self.sampling_table_size & (self.sampling_table_size - 1):
            raise ValueError("sampling_table_size must be a power of two for the exact null")


def synthid_keys(key: bytes, depth: int) -> list[int]:
    """`depth` non-negative 63-bit integers derived from a watermark key (one per tournament layer)."""
    keys = []
    for layer in range(depth):
        digest = hashlib.blake2b(layer.to_bytes(4, "little"), digest_size=8, key=key[:64]).digest()
        keys.append(int.from_bytes(digest, "little") >> 1)
    return keys


def watermarking_config(key: bytes, params: SynthIDParams | None = None) -> Any:
    """The transformers config to pass as `generate(..., watermarking_config=...)`."""
    params = params or SynthIDParams()
    return SynthIDTextWatermarkingConfig(
        ngram_len=params.ngram_len,
        keys=synthid_keys(key, params.depth),
        context_history_size=params.context_history_size,
        sampling_table_seed=params.sampling_table_seed,
        sampling_table_size=params.sampling_table_size,
    )


@dataclass(frozen=True)
class SynthIDScore:
    """Sum of g-values over distinct n-grams and depths, against its exact null; small p = watermarked."""

    n_scored: int
    depth: int
    g_sum: int
    mean_g: float
    null_mean_g: float
    z: float
    p_value: float
    p_value_method: str  # "exact" or "chernoff-bound"
    n_skipped_duplicates: int
    n_tokens: int
    key_id: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class SynthIDDetector:
    """Scores token ids against one key, using transformers' processor for hashes and g-values."""

    def __init__(self, key: bytes, vocab_size: int, params: SynthIDParams | None = None) -> None:
        self.params = params or SynthIDParams()
        self.vocab_size = vocab_size
        self.keys = synthid_keys(key, self.params.depth)
        self.key_id = key_fingerprint(key)
        self.processor = watermarking_config(key, self.params).construct_processor(vocab_size, "cpu")
        size = self.params.sampling_table_size
        table = self.processor.sampling_table.numpy().astype(np.int64)
        shifted = (np.arange(size, dtype=np.uint64) * np.uint64(_LCG_MULTIPLIER % size) + np.uint64(1)) % size
        self._g_of_shifted_hash = table[shifted.astype(np.int64)]  # g as a function of (h + k) mod T

    def ngram_hashes(self, ngrams: np.ndarray) -> np.ndarray:
        """Low bits (mod table size) of transformers' key-free hash of each n-gram row."""
        start = torch.ones(ngrams.shape[0], dtype=torch.long)
        hashed = self.processor.accumulate_hash(start, torch.from_numpy(np.ascontiguousarray(ngrams)))
        residues: np.ndarray = torch.remainder(hashed, self.params.sampling_table_size).numpy()
        return residues

    def g_values(self, ngrams: np.ndarray) -> np.ndarray:
        """[n, depth] g-values, computed from the hash (a test checks them against transformers')."""
        size = self.params.sampling_table_size
        hashes = self.ngram_hashes(ngrams)[:, None]
        residues = np.array([k % size for k in self.keys], dtype=np.int64)[None, :]
        g: np.ndarray = self._g_of_shifted_hash[(hashes + residues) % size]
        return g

    def _distinct_ngrams(
        self, sequences: Sequence[Sequence[int]], prompt_lengths: Sequence[int] | None
    ) -> tuple[np.ndarray, int, int]:
        """Distinct n-grams of the completions (left-padded with id 0, as transformers' state starts),
        skipping n-grams whose context already occurred earlier in the same completion (transformers
        leaves those unwatermarked)."""
        span = self.params.ngram_len
        rows: list[np.ndarray] = []
        n_tokens = 0
        for index, tokens in enumerate(sequences):
            ids = np.asarray(tokens, dtype=np.int64)
            if ids.size and (ids.min() < 0 or ids.max() >= self.vocab_size):
                raise TokenizerMismatchError(
                    f"sequence {index} holds token ids outside [0, {self.vocab_size}): "
                    "wrong tokenizer for this key"
                )
            completion = ids[prompt_lengths[index] :] if prompt_lengths is not None else ids
            n_tokens += completion.size
            if not completion.size:
                continue
            padded = np.concatenate([np.zeros(span - 1, dtype=np.int64), completion])
            ngrams = np.lib.stride_tricks.sliding_window_view(padded, span)
            _, first = np.unique(ngrams[:, :-1], axis=0, return_index=True)
            rows.append(ngrams[np.sort(first)])
        all_rows = np.concatenate(rows) if rows else np.empty((0, span), dtype=np.int64)
        distinct = np.unique(all_rows, axis=0)
        return distinct, n_tokens, n_tokens - distinct.shape[0]

    def score_token_ids(
        self,
        sequences: Sequence[Sequence[int]],
        prompt_lengths: Sequence[int] | None = None,
        significance: float = 1e-3,
    ) -> SynthIDScore:
        """Test completions (prompts first when `prompt_lengths` is given; they are not scored)."""
        ngrams, n_tokens, skipped = self._distinct_ngrams(sequences, prompt_lengths)
        size, depth = self.params.sampling_table_size, self.params.depth
        correlation = self._correlation(ngrams)
        values, counts = np.unique(correlation, return_counts=True)
        probabilities = counts / size
        most_extreme = float(np.sum(probabilities[values == values.max()])) ** depth
        if not ngrams.shape[0] or most_extreme > significance:
            raise InsufficientTokensError(
                f"{ngrams.shape[0]} distinct n-grams (of {n_tokens} tokens) cannot reach "
                f"p = {significance:g} even if every g-value were 1: supply more text"
            )
        residues = [k % size for k in self.keys]
        g_sum = int(sum(correlation[r] for r in residues))
        null_mean = float(np.dot(values, probabilities))
        null_var = float(np.dot((values - null_mean) ** 2, probabilities))
        z = (g_sum - depth * null_mean) / math.sqrt(depth * null_var) if null_var > 0 else 0.0
        p_value, method = _upper_tail(values.astype(np.int64), probabilities, depth, g_sum)
        n = ngrams.shape[0]
        return SynthIDScore(
            n_scored=n,
            depth=depth,
            g_sum=g_sum,
            mean_g=g_sum / (n * depth),
            null_mean_g=null_mean / n,
            z=z,
            p_value=p_value,
            p_value_method=method,
            n_skipped_duplicates=skipped,
            n_tokens=n_tokens,
            key_id=self.key_id,
        )

    def _correlation(self, ngrams: np.ndarray) -> np.ndarray:
        """C(s) = sum of g over the n-grams when a depth's key residue is s, for every s (by FFT)."""
        size = self.params.sampling_table_size
        histogram = np.bincount(self.ngram_hashes(ngrams), minlength=size).astype(np.float64)
        spectrum = np.conj(np.fft.rfft(histogram)) * np.fft.rfft(self._g_of_shifted_hash.astype(np.float64))
        return np.rint(np.fft.irfft(spectrum, n=size)).astype(np.int64)


def _upper_tail(
    values: np.ndarray, probabilities: np.ndarray, depth: int, observed: int
) -> tuple[float, str]:
    """P(sum of `depth` iid draws >= observed): exact convolution, or the Chernoff bound when too wide."""
    low, high = int(values.min()), int(values.max())
    if (high - low) * depth + 1 <= _EXACT_SUPPORT_LIMIT:
        single = np.zeros(high - low + 1)
        np.add.at(single, values - low, probabilities)
        total, power, remaining = np.array([1.0]), single, depth
        while remaining:  # exponentiation by squaring over convolution
            if remaining & 1:
                total = np.convolve(total, power)
            remaining >>= 1
            if remaining:
                power = np.convolve(power, power)
        start = observed - depth * low
        return float(min(1.0, total[max(start, 0) :].sum())), "exact"
    shifted = values - values.mean()
    excess = observed - depth * values.mean()

    def log_bound(t: float) -> float:
        log_mgf = np.log(np.dot(probabilities, np.exp(t * shifted - np.max(t * shifted)))) + np.max(
            t * shifted
        )
        return float(depth * log_mgf - t * excess)

    best = minimize_scalar(log_bound, bounds=(0.0, 50.0 / max(1.0, float(np.ptp(values)))), method="bounded")
    return float(min(1.0, math.exp(min(0.0, best.fun)))), "chernoff-bound"
