"""The green list: exact null share, consistency between its two views, and the logits bias."""

from __future__ import annotations

import pytest
import torch
from scipy.stats import binomtest

from distillgov.watermark.kgw import GreenList, KGWLogitsProcessor, KGWParams

KEY = b"0123456789abcdef-kgw-test"


def test_green_share_is_gamma_over_distinct_pairs() -> None:
    green = GreenList(KEY, 50_000, KGWParams(gamma=0.25, context_width=2))
    generator = torch.Generator().manual_seed(1)
    contexts = torch.randint(0, 50_000, (40_000, 2), generator=generator)
    tokens = torch.randint(0, 50_000, (40_000,), generator=generator)
    n_green = int(green.is_green(contexts, tokens).sum())
    assert binomtest(n_green, 40_000, 0.25).pvalue > 1e-3


def test_mask_and_membership_agree_and_depend_on_key_and_context() -> None:
    params = KGWParams(context_width=2)
    green = GreenList(KEY, 1_000, params)
    contexts = torch.tensor([[1, 2], [3, 4], [1, 2]])
    mask = green.green_mask(contexts)
    assert mask.shape == (3, 1_000)
    assert torch.equal(mask[0], mask[2])  # same context, same list
    assert not torch.equal(mask[0], mask[1])
    tokens = torch.tensor([5, 6, 7])
    assert torch.equal(green.is_green(contexts, tokens), mask[torch.arange(3), tokens])
    other = GreenList(b"another key of sixteen+ bytes", 1_000, params).green_mask(contexts)
    assert not torch.equal(mask, other)
    assert torch.equal(GreenList(KEY, 1_000, params).green_mask(contexts), mask)  # deterministic


def test_green_for_is_the_mask_restricted_to_the_chosen_ids() -> None:
    green = GreenList(KEY, 1_000, KGWParams(context_width=1))
    contexts = torch.tensor([[3], [9]])
    ids = torch.tensor([0, 17, 999, 17])
    assert torch.equal(green.green_for(contexts, ids), green.green_mask(contexts)[:, ids])
    with pytest.raises(ValueError, match="lie in"):
        green.green_for(contexts, torch.tensor([1_000]))


def test_processor_adds_delta_to_green_logits_only() -> None:
    green = GreenList(KEY, 100, KGWParams(delta=2.0, context_width=1))
    input_ids = torch.tensor([[7, 8], [9, 10]])
    scores = torch.zeros(2, 104)  # four padding columns beyond the tokenizer's vocabulary
    out = KGWLogitsProcessor(green)(input_ids, scores)
    expected = green.green_mask(input_ids[:, -1:]).float() * 2.0
    assert torch.equal(out[:, :100], expected)
    assert torch.equal(out[:, 100:], scores[:, 100:])


def test_processor_refuses_logits_narrower_than_the_key() -> None:
    processor = KGWLogitsProcessor(GreenList(KEY, 100))
    with pytest.raises(ValueError, match="vocabulary of 100"):
        processor(torch.tensor([[1]]), torch.zeros(1, 90))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"gamma": 1.0}, "gamma"), ({"delta": -1.0}, "delta"), ({"context_width": 0}, "context_width")],
)
def test_bad_parameters_are_refused(kwargs: dict[str, float], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        KGWParams(**kwargs)  # type: ignore[arg-type]


def test_short_keys_and_out_of_vocabulary_tokens_are_refused() -> None:
    with pytest.raises(ValueError, match="16 bytes"):
        GreenList(b"short", 100)
    with pytest.raises(ValueError, match=r"\[0, 100\)"):
        GreenList(KEY, 100).is_green(torch.tensor([[1]]), torch.tensor([100]))
