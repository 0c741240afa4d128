"""The Chernoff bound on the open-model p-value: never below the true tail, and not uselessly loose."""

from __future__ import annotations

import pytest
import torch

from distillgov.forensics.radioactivity import ContextMasses, ContextScores, chernoff_p_bound

GAMMA = 0.25


def _masses(probs: torch.Tensor) -> ContextMasses:
    n, columns = probs.shape
    return ContextMasses(
        contexts=torch.arange(n).view(n, 1),
        mean_probs=probs,
        mean_spread=torch.zeros(n),
        positions=torch.ones(n),
        first_seen_tokens=torch.arange(n),
        column_ids=torch.arange(columns),
        vocab_size=columns,
        tokens_read=n,
    )


def _scores_at(probs: torch.Tensor, weights: torch.Tensor, observed: float) -> ContextScores:
    """Scores whose total excess is `observed` (how it is spread over contexts does not enter the bound)."""
    n = probs.shape[0]
    kappa = GAMMA * (1 - GAMMA)
    return ContextScores(
        excess=torch.full((n,), observed / n, dtype=torch.float64),
        variance=(weights**2 * kappa * (probs.double() ** 2).sum(1)),
        third=torch.zeros(n, dtype=torch.float64),
        ceiling=weights * (1 - GAMMA),
        weights=weights,
    )


def test_the_bound_is_exact_enough_on_a_case_computed_by_hand() -> None:
    probs = torch.tensor([[0.5, 0.5]])
    # all mass green: S = 0.75 happens with probability gamma^2 = 0.0625, the bound's limit as t grows
    ones = torch.ones(1, dtype=torch.float64)
    bound = chernoff_p_bound(_masses(probs), _scores_at(probs, ones, 0.75), GAMMA)
    assert bound == pytest.approx(0.0625, rel=1e-6)
    assert chernoff_p_bound(_masses(probs), _scores_at(probs, ones, 0.25), GAMMA) >= 2 * GAMMA - GAMMA**2


def test_the_bound_covers_a_simulated_tail_and_stays_within_an_order_of_magnitude() -> None:
    generator = torch.Generator().manual_seed(5)
    probs = torch.softmax(torch.randn(120, 25, generator=generator) * 2, dim=1)
    weights = torch.rand(120, generator=generator, dtype=torch.float64) * 3 + 0.5
    coefficients = (probs.double() * weights[:, None]).flatten()
    draws = torch.bernoulli(torch.full((20_000, coefficients.numel()), GAMMA), generator=generator)
    simulated = ((draws - GAMMA) @ coefficients.float()).double()
    threshold = float(torch.quantile(simulated, 0.99))
    tail = float((simulated >= threshold).double().mean())
    bound = chernoff_p_bound(_masses(probs), _scores_at(probs, weights, threshold), GAMMA)
    assert bound >= tail * 0.9  # sampling error on a 1% tail from 20k draws is ~7%
    assert bound <= 0.15
