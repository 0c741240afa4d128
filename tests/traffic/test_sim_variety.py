"""Fresh seeds give genuinely different scenarios, and the new populations are at the scale asked for.

Planning decides every account without generating rows, so these properties are checked over
many seeds and a million-row plan in a few seconds.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

import numpy as np
import pytest

from distillgov.traffic.simulator.engine import corpus
from distillgov.traffic.simulator.plan import DAY_US, Plan, make_plan
from distillgov.traffic.simulator.scenarios import get_scenario
from distillgov.traffic.simulator.spec import Category

START_US = 1_794_787_200_000_000  # 2026-11-16T00:00:00Z
SEEDS = range(200, 210)


@pytest.fixture(autouse=True, scope="module")
def _private_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DISTILLGOV_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
        yield


def _plan(seed: int, rows: int = 1_000_000, scenario: str = "default") -> Plan:
    return make_plan(get_scenario(scenario), rows, 7, START_US, seed, corpus().templates)


def _campaigns(plan: Plan) -> dict[str, list[tuple[int, str, float]]]:
    """Per campaign population: (accounts, main style, rows per account per day) of each campaign."""
    accounts = plan.accounts
    out: dict[str, list[tuple[int, str, float]]] = {}
    for group in np.unique(accounts.group[accounts.group >= 0]):
        if not plan.groups.campaign[group]:
            continue
        members = accounts.group == group
        style = plan.behaviors[int(np.bincount(accounts.behavior[members]).argmax())].name
        label = plan.populations[int(plan.groups.population[group])].label
        rate = float(accounts.rows[members].mean() / plan.window.days)
        out.setdefault(label, []).append((int(members.sum()), style, rate))
    return out


@pytest.fixture(scope="module")
def plans(_private_cache: None) -> list[Plan]:
    return [_plan(seed) for seed in SEEDS]


def test_campaign_counts_sizes_rates_and_styles_vary_with_the_seed(plans: list[Plan]) -> None:
    per_seed = [_campaigns(plan) for plan in plans]
    counts = {label: [len(c.get(label, [])) for c in per_seed] for label in per_seed[0]}
    for label in ("campaign_swarm", "campaign_low_and_slow", "campaign_paraphrase"):
        assert len(set(counts[label])) >= 3, (label, counts[label])  # how many campaigns differs
    assert counts["campaign_bot"] == [1] * len(plans)
    every = [campaign for c in per_seed for campaigns in c.values() for campaign in campaigns]
    sizes = [size for size, _, _ in every]
    assert min(sizes) == 1  # the single-account campaign (and, across seeds, others)
    assert sum(2 <= s <= 5 for s in sizes) >= 3  # small operators
    assert max(sizes) >= 40
    swarm_sizes = {tuple(sorted(s for s, _, _ in c["campaign_swarm"])) for c in per_seed}
    assert len(swarm_sizes) == len(plans)  # no two seeds plan the same swarms
    rates = [rate for c in per_seed for _, _, rate in c.get("campaign_swarm", [])]
    assert max(rates) > 2 * min(rates)  # operators pace differently
    styles = Counter(style for _, style, _ in every)
    assert len(styles) >= 8, styles  # reasoning, plain, code, labels, agents, chats, paraphrase, clockwork


def test_a_million_rows_hold_hundreds_of_apps_and_eval_pipelines(plans: list[Plan]) -> None:
    for plan in plans[:4]:
        categories = np.array([p.category for p in plan.populations])[plan.accounts.population]
        assert (categories == Category.APP).sum() >= 300
        assert (categories == Category.EVAL_PIPELINE).sum() >= 200
        assert (categories == Category.RESEARCH).sum() >= 1
        assert (categories == Category.LICENSED).sum() >= 1


def test_population_sizes_follow_the_seed_not_a_constant(plans: list[Plan]) -> None:
    evals = [
        int((plan.accounts.population == plan.preset_names.index("eval-pipeline")).sum()) for plan in plans
    ]
    assert len(set(evals)) >= len(evals) - 2  # a coincidence or two, not a constant
    assert max(evals) > 1.2 * min(evals)


def test_eval_pipelines_size_their_benchmark_to_replay_it_for_days(plans: list[Plan]) -> None:
    plan = plans[0]
    accounts = plan.accounts
    evals = accounts.population == plan.preset_names.index("eval-pipeline")
    per_run = accounts.items[evals].astype(np.int64) * accounts.slots[evals]
    runs = accounts.rows[evals] / per_run
    assert np.median(runs) >= plan.window.days  # at least about one run a day
    assert set(np.unique(accounts.slots[evals])) == {1, 2, 3}
    research = accounts.population == plan.preset_names.index("research")
    sweeps = research & (accounts.items > 0)
    if sweeps.any():  # one-off sweeps: few runs, starting on any day of the window
        per_run = accounts.items[sweeps].astype(np.int64) * accounts.slots[sweeps]
        assert np.median(accounts.rows[sweeps] / per_run) <= 3
        assert (accounts.cron_us[sweeps] < plan.window.days * DAY_US).all()
