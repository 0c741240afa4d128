"""Detection on tiny-model generations: power on watermarked text, uniform p-values on clean text,
and the counting rules (dedupe, prompt contexts) that keep those p-values valid."""

from __future__ import annotations

from fractions import Fraction
from math import comb

import numpy as np
import pytest
from scipy.stats import kstest, norm

from distillgov.watermark.detect import (
    InsufficientTokensError,
    TokenizerMismatchError,
    binomial_test,
    score_text,
    score_token_ids,
)
from distillgov.watermark.keys import derive_key
from distillgov.watermark.kgw import GreenList, KGWLogitsProcessor, KGWParams
from distillgov.watermark.teacher import Generation, Teacher, generate

MASTER = b"calibration master key, 32 bytes"
PARAMS = KGWParams(gamma=0.25, delta=2.0, context_width=1)


@pytest.fixture(scope="module")
def watermarked(tiny_teacher: Teacher, prompts: list[str]) -> tuple[GreenList, list[Generation]]:
    green = GreenList(derive_key(MASTER, "account:alice"), tiny_teacher.vocab_size, PARAMS)
    return green, generate(tiny_teacher, prompts[:4], [KGWLogitsProcessor(green)], max_new_tokens=80, seed=3)


@pytest.fixture(scope="module")
def clean(tiny_teacher: Teacher, prompts: list[str]) -> list[Generation]:
    return generate(tiny_teacher, prompts, max_new_tokens=120, seed=4)


def test_watermarked_generations_are_detected(watermarked: tuple[GreenList, list[Generation]]) -> None:
    green, generations = watermarked
    score = score_token_ids(green, [g.completion_ids for g in generations])
    assert 150 <= score.n_scored <= 400
    assert score.p_value < 1e-6
    wrong = GreenList(derive_key(MASTER, "account:bob"), green.vocab_size, PARAMS)
    assert score_token_ids(wrong, [g.completion_ids for g in generations]).p_value > 1e-3


@pytest.mark.slow
def test_clean_text_p_values_are_uniform_over_random_keys(
    tiny_teacher: Teacher, clean: list[Generation]
) -> None:
    sequences = [g.completion_ids for g in clean]
    p_values = np.array(
        [
            score_token_ids(
                GreenList(derive_key(MASTER, f"random-{i}"), tiny_teacher.vocab_size, PARAMS), sequences
            ).p_value
            for i in range(400)
        ]
    )
    fpr_05, fpr_001 = float(np.mean(p_values <= 0.05)), float(np.mean(p_values <= 0.001))
    print(
        f"KGW calibration over 400 keys: KS p={kstest(p_values, 'uniform').pvalue:.3f} "
        f"FPR@0.05={fpr_05:.4f} FPR@0.001={fpr_001:.4f}"
    )
    assert kstest(p_values, "uniform").pvalue > 1e-3
    assert fpr_05 <= 0.05 + 3 * np.sqrt(0.05 * 0.95 / 400)
    assert fpr_001 <= 3 / 400


def test_dedupe_and_prompt_skipping_count_what_they_skip() -> None:
    green = GreenList(MASTER, 1_000, KGWParams(context_width=2))
    sequence = [10, 11, 12, 13, 20, 21, 22, 23, 24, 25]  # 4 prompt tokens, then 6 completion tokens
    with_prompt = score_token_ids(green, [sequence], prompt_lengths=[4], significance=0.5)
    assert (with_prompt.n_tokens, with_prompt.n_skipped_prompt_context, with_prompt.n_scored) == (6, 2, 4)
    alone = score_token_ids(green, [sequence[4:]], significance=0.5)
    assert (alone.n_skipped_no_context, alone.n_skipped_prompt_context, alone.n_scored) == (2, 0, 4)
    repeated = score_token_ids(green, [sequence, sequence], prompt_lengths=[4, 4], significance=0.5)
    assert (repeated.n_scored, repeated.n_skipped_duplicates) == (4, 4)
    kept = score_token_ids(green, [sequence, sequence], prompt_lengths=[4, 4], dedupe=False, significance=0.5)
    assert (kept.n_scored, kept.n_skipped_duplicates) == (8, 0)


def test_repeating_a_text_does_not_inflate_significance(
    watermarked: tuple[GreenList, list[Generation]],
) -> None:
    green, generations = watermarked
    once = [generations[0].completion_ids]
    single = score_token_ids(green, once)
    twenty = score_token_ids(green, once * 20)
    assert (twenty.n_scored, twenty.p_value) == (single.n_scored, single.p_value)
    inflated = score_token_ids(green, once * 20, dedupe=False)
    assert inflated.p_value < single.p_value * 1e-6  # what a detector without dedupe would claim


def test_too_few_tokens_is_an_error_not_a_p_value() -> None:
    green = GreenList(MASTER, 1_000, KGWParams(gamma=0.25, context_width=1))
    with pytest.raises(InsufficientTokensError, match="needs at least 10"):
        score_token_ids(green, [[1, 2, 3, 4, 5, 6]], significance=1e-6)  # 5 pairs: 0.25**5 > 1e-6
    with pytest.raises(InsufficientTokensError, match="only 0"):
        score_token_ids(green, [[1, 2, 3]], prompt_lengths=[3])


def test_wrong_tokenizer_is_refused(tiny_teacher: Teacher) -> None:
    green = GreenList(MASTER, tiny_teacher.vocab_size + 1)
    with pytest.raises(TokenizerMismatchError, match="tokenizer has"):
        score_text(green, ["some text"], tiny_teacher.tokenizer)
    with pytest.raises(TokenizerMismatchError, match="sequence 1"):
        score_token_ids(GreenList(MASTER, 50), [[1, 2], [3, 60]])


def test_score_text_matches_token_scoring_with_prompts(tiny_teacher: Teacher) -> None:
    green = GreenList(MASTER, tiny_teacher.vocab_size, PARAMS)
    texts, prompts = ["model answer data " * 20], ["the question"]
    by_text = score_text(green, texts, tiny_teacher.tokenizer, prompts=prompts, significance=0.01)
    assert by_text.n_skipped_prompt_context == 1  # width 1: only the first completion token's context
    prompt_ids = tiny_teacher.tokenizer(prompts, add_special_tokens=False)["input_ids"][0]
    text_ids = tiny_teacher.tokenizer(texts, add_special_tokens=False)["input_ids"][0]
    by_ids = score_token_ids(green, [prompt_ids + text_ids], [len(prompt_ids)], significance=0.01)
    assert by_text == by_ids


def test_exact_tail_where_the_normal_approximation_fails() -> None:
    z, p_value = binomial_test(n_green=60, n_scored=100, gamma=0.25)
    assert z > 8
    exact = sum(
        Fraction(comb(100, k)) * Fraction(1, 4) ** k * Fraction(3, 4) ** (100 - k) for k in range(60, 101)
    )
    assert p_value == pytest.approx(float(exact), rel=1e-9)
    assert norm.sf(z) < p_value / 100  # the normal tail claims 400x more significance than there is
