"""The keyed green-list watermark of Kirchenbauer et al. (2023), in a form a detector can test exactly.

Greenness is decided per (context, token) pair, not by permuting the vocabulary per context as the
reference implementation does: a keyed BLAKE2b of the context gives a 64-bit seed, and a 64-bit
mixer of (seed, token) compared with a threshold decides each token. Two consequences matter for
evidence. First, under the null (a text written without this key) every distinct (context, token)
pair is green independently with probability exactly `gamma` — a permutation makes tokens of one
context negatively dependent, so the binomial test would only be approximate. Second, the detector
needs one mixer call per scored position instead of a vocabulary-sized permutation, so scoring
hundreds of thousands of positions is cheap, and generation stays one vectorised op per step.

The context PRF is cryptographic (keyed BLAKE2b); the per-token mixer (MurmurHash3's 64-bit
finaliser) only spreads an unknown 64-bit seed over the vocabulary, so learning the green list of
some contexts reveals nothing about another context's seed.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import torch
from transformers import LogitsProcessor

from distillgov.watermark.keys import key_fingerprint

_HASH_BITS = 32  # greenness compares the top 32 bits of the mixed value with a threshold
_MASK_31 = (1 << 31) - 1
_MASK_32 = (1 << 32) - 1


def _signed(value: int) -> int:
    """A 64-bit unsigned constant as the int64 torch stores (multiplication wraps modulo 2**64)."""
    return value - (1 << 64) if value >= 1 << 63 else value


_FMIX_C1 = _signed(0xFF51AFD7ED558CCD)
_FMIX_C2 = _signed(0xC4CEB9FE1A85EC53)
_GOLDEN = _signed(0x9E3779B97F4A7C15)


def _shift_right_33(values: torch.Tensor) -> torch.Tensor:
    """Logical right shift by 33 of int64 values (torch's `>>` is arithmetic on negatives)."""
    return (values >> 33) & _MASK_31


def _fmix64(values: torch.Tensor) -> torch.Tensor:
    """MurmurHash3's 64-bit finaliser on int64 tensors: a bijection with full avalanche."""
    values = values ^ _shift_right_33(values)
    values = values * _FMIX_C1
    values = values ^ _shift_right_33(values)
    values = values * _FMIX_C2
    return values ^ _shift_right_33(values)


@dataclass(frozen=True)
class KGWParams:
    """Watermark settings; the detector must use the ones the generator used.

    `gamma` is the green share of the vocabulary, `delta` the logit bias added to green tokens,
    `context_width` how many preceding tokens seed the green list. A wider context survives fewer
    edits but repeats less, which keeps a small teacher from looping on one green token (seen with
    width 1, delta 2 on SmolLM2 — see docs/watermark.md).
    """

    gamma: float = 0.25
    delta: float = 2.0
    context_width: int = 1

    def __post_init__(self) -> None:
        if not 0.0 < self.gamma < 1.0:
            raise ValueError(f"gamma must lie strictly between 0 and 1, got {self.gamma}")
        if self.delta < 0.0:
            raise ValueError(f"delta must be >= 0, got {self.delta}")
        if self.context_width < 1:
            raise ValueError(f"context_width must be >= 1, got {self.context_width}")

    @property
    def threshold(self) -> int:
        """Mixed values below this (out of 2**32) are green."""
        return round(self.gamma * (1 << _HASH_BITS))

    @property
    def exact_gamma(self) -> float:
        """The null green probability the hash realises (equal to gamma up to 2**-33)."""
        return self.threshold / (1 << _HASH_BITS)


class GreenList:
    """The green list of one key over one vocabulary: which tokens are favoured after each context."""

    def __init__(self, key: bytes, vocab_size: int, params: KGWParams | None = None) -> None:
        if len(key) < 16:
            raise ValueError(f"a watermark key needs at least 16 bytes, got {len(key)}")
        if vocab_size < 2:
            raise ValueError(f"vocab_size must be >= 2, got {vocab_size}")
        self.params = params or KGWParams()
        self.vocab_size = vocab_size
        self.key_id = key_fingerprint(key)
        self._key = hashlib.blake2b(key, digest_size=32, person=b"distillgov-kgw").digest()
        self._seed_cache: dict[tuple[int, ...], int] = {}

    def _context_seed(self, context: tuple[int, ...]) -> int:
        seed = self._seed_cache.get(context)
        if seed is None:
            data = b"".join(token.to_bytes(4, "little", signed=True) for token in context)
            digest = hashlib.blake2b(data, digest_size=8, key=self._key).digest()
            seed = int.from_bytes(digest, "little", signed=True)
            if len(self._seed_cache) > 1 << 20:  # bounded memory on long detection runs
                self._seed_cache.clear()
            self._seed_cache[context] = seed
        return seed

    def context_seeds(self, contexts: torch.Tensor) -> torch.Tensor:
        """int64 seed per context row; each distinct context is hashed once."""
        width = self.params.context_width
        if contexts.dim() != 2 or contexts.shape[1] != width:
            raise ValueError(f"contexts must have shape [batch, {width}], got {tuple(contexts.shape)}")
        unique, inverse = torch.unique(contexts.to("cpu", torch.int64), dim=0, return_inverse=True)
        seeds = torch.tensor([self._context_seed(tuple(row)) for row in unique.tolist()], dtype=torch.int64)
        return seeds[inverse].to(contexts.device)

    def _green(self, seeds: torch.Tensor, tokens: torch.Tensor) -> torch.Tensor:
        mixed = _fmix64(seeds + (tokens + 1) * _GOLDEN)
        return ((mixed >> _HASH_BITS) & _MASK_32) < self.params.threshold

    def green_mask(self, contexts: torch.Tensor) -> torch.Tensor:
        """[batch, vocab] booleans: the green tokens after each context row."""
        return self.green_for(contexts, torch.arange(self.vocab_size, dtype=torch.int64))

    def green_for(self, contexts: torch.Tensor, token_ids: torch.Tensor) -> torch.Tensor:
        """[batch, len(token_ids)] booleans: greenness of a chosen set of ids after each context row.

        Open-model forensics reads students that only predict a few thousand of the teacher's ids;
        hashing just those columns instead of the whole vocabulary is what keeps it affordable.
        """
        if token_ids.dim() != 1:
            raise ValueError("token_ids must be a 1-d tensor of ids")
        if token_ids.numel() and (int(token_ids.min()) < 0 or int(token_ids.max()) >= self.vocab_size):
            raise ValueError(f"token ids must lie in [0, {self.vocab_size}) for this key's vocabulary")
        seeds = self.context_seeds(contexts)
        return self._green(seeds[:, None], token_ids.to(seeds.device, torch.int64)[None, :])

    def is_green(self, contexts: torch.Tensor, tokens: torch.Tensor) -> torch.Tensor:
        """[batch] booleans: whether each token is green after its context row."""
        if tokens.dim() != 1 or tokens.shape[0] != contexts.shape[0]:
            raise ValueError("tokens must be one id per context row")
        if tokens.numel() and (int(tokens.min()) < 0 or int(tokens.max()) >= self.vocab_size):
            raise ValueError(f"token ids must lie in [0, {self.vocab_size}) for this key's vocabulary")
        return self._green(self.context_seeds(contexts), tokens.to(torch.int64))


class KGWLogitsProcessor(LogitsProcessor):
    """Adds `delta` to the logits of the green tokens after the last `context_width` tokens.

    Logit columns beyond the key's vocabulary (padding rows some models carry) are left alone; a
    model whose logits are narrower than the key's vocabulary was paired with the wrong key.
    """

    def __init__(self, green_list: GreenList) -> None:
        self.green_list = green_list

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.Tensor:
        vocab = self.green_list.vocab_size
        if scores.shape[-1] < vocab:
            raise ValueError(
                f"the model's logits have {scores.shape[-1]} columns but the watermark key was made for a "
                f"vocabulary of {vocab}: derive the key for this model's tokenizer"
            )
        width = self.green_list.params.context_width
        contexts = input_ids[:, -width:]
        if contexts.shape[1] < width:  # a prompt shorter than the context: pad on the left with id 0
            contexts = torch.nn.functional.pad(contexts, (width - contexts.shape[1], 0))
        bias = self.green_list.green_mask(contexts).to(scores.dtype) * self.green_list.params.delta
        watermarked = scores.clone()
        watermarked[:, :vocab] += bias
        return watermarked
