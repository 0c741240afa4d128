"""SynthID through transformers: our g-values are transformers', and the exact null is calibrated."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy.stats import kstest

from distillgov.watermark.detect import InsufficientTokensError
from distillgov.watermark.keys import derive_key
from distillgov.watermark.synthid import SynthIDDetector, SynthIDParams, watermarking_config
from distillgov.watermark.teacher import Generation, Teacher, generate

MASTER = b"synthid master key for the tests"
PARAMS = SynthIDParams(ngram_len=3, depth=8)


@pytest.fixture(scope="module")
def clean(tiny_teacher: Teacher, prompts: list[str]) -> list[Generation]:
    return generate(tiny_teacher, prompts, max_new_tokens=60, seed=5)


def test_g_values_match_transformers(tiny_teacher: Teacher) -> None:
    detector = SynthIDDetector(MASTER, tiny_teacher.vocab_size, PARAMS)
    ids = torch.randint(0, tiny_teacher.vocab_size, (1, 200), generator=torch.Generator().manual_seed(0))
    theirs = detector.processor.compute_g_values(ids)[0].numpy()
    ngrams = np.lib.stride_tricks.sliding_window_view(ids[0].numpy(), PARAMS.ngram_len)
    assert np.array_equal(detector.g_values(ngrams), theirs)


def test_watermarked_generations_are_detected(tiny_teacher: Teacher, prompts: list[str]) -> None:
    key = derive_key(MASTER, "account:alice")
    generations = generate(
        tiny_teacher,
        prompts[:4],
        max_new_tokens=60,
        seed=6,
        watermarking_config=watermarking_config(key, PARAMS),
    )
    sequences = [g.completion_ids for g in generations]
    score = SynthIDDetector(key, tiny_teacher.vocab_size, PARAMS).score_token_ids(sequences)
    assert score.p_value_method == "exact"
    assert score.mean_g > score.null_mean_g
    assert score.p_value < 1e-6
    other = SynthIDDetector(derive_key(MASTER, "account:bob"), tiny_teacher.vocab_size, PARAMS)
    assert other.score_token_ids(sequences).p_value > 1e-3


@pytest.mark.slow
def test_exact_null_is_uniform_and_agrees_with_simulation(
    tiny_teacher: Teacher, clean: list[Generation]
) -> None:
    sequences = [g.completion_ids for g in clean]
    scores = [
        SynthIDDetector(derive_key(MASTER, f"random-{i}"), tiny_teacher.vocab_size, PARAMS).score_token_ids(
            sequences
        )
        for i in range(200)
    ]
    p_values = np.array([s.p_value for s in scores])
    print(
        f"SynthID calibration over 200 keys: KS p={kstest(p_values, 'uniform').pvalue:.3f} "
        f"FPR@0.05={np.mean(p_values <= 0.05):.4f} FPR@0.001={np.mean(p_values <= 0.001):.4f}"
    )
    assert kstest(p_values, "uniform").pvalue > 1e-3
    # The exact p-value of one key against the simulated share of the 200 keys scoring at least as high.
    g_sums = np.array([s.g_sum for s in scores])
    for index in (0, 1, 2):
        simulated = float(np.mean(g_sums >= g_sums[index]))
        assert scores[index].p_value == pytest.approx(simulated, abs=4 * np.sqrt(0.25 / 200))


def test_too_little_text_is_refused(tiny_teacher: Teacher) -> None:
    detector = SynthIDDetector(MASTER, tiny_teacher.vocab_size, SynthIDParams(ngram_len=3, depth=1))
    with pytest.raises(InsufficientTokensError, match="distinct n-grams"):
        detector.score_token_ids([[5, 6]], significance=1e-6)
