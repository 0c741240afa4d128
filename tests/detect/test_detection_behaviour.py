"""On a simulated week (seed never used in development), campaigns are found and the hard negatives are not.

Labels are read only here, to check the outcome; nothing the detector decides depends on them.
"""

from __future__ import annotations

from collections import Counter, defaultdict

import numpy as np
import pytest
from conftest import (
    LINKABLE_CAMPAIGN_SIZE,
    SHAPELESS_STYLES,
    Scored,
    campaign_sizes,
    read_labels,
    simulate_week,
    with_harvesting_evidence,
)

from distillgov.detect.pipeline import detect


def _by_population(scored: Scored) -> dict[str, list[dict]]:
    groups: dict[str, list[dict]] = defaultdict(list)
    for account in scored.findings["accounts"]:
        groups[str(scored.labels[account["account_id"]]["population"])].append(account)
    return groups


def test_campaign_accounts_with_harvesting_evidence_are_flagged(scored: Scored) -> None:
    """Recall on the accounts the simulator drew detectable: harvesting style, linkable campaign.

    Seed 7301 also draws campaigns nothing per account separates from applications (see the
    expected failure below), so recall over *all* campaign accounts measures the draw, not the
    detector; the benchmark reports that figure over many seeds.
    """
    evident = with_harvesting_evidence(scored.labels)
    accounts = [a for a in scored.findings["accounts"] if a["account_id"] in evident]
    assert len(accounts) >= 5, "seed 7301 was chosen for a linkable harvesting campaign"
    recall = sum(a["flagged"] for a in accounts) / len(accounts)
    assert recall >= 0.9, Counter(
        (scored.labels[a["account_id"]]["behavior"], a["flagged"]) for a in accounts
    )


def _small_shapeless_campaign_accounts(scored: Scored) -> list[dict]:
    sizes = campaign_sizes(scored.labels)
    accounts = [
        a
        for a in scored.findings["accounts"]
        if (row := scored.labels[a["account_id"]])["campaign_id"] is not None
        and row["behavior"] in SHAPELESS_STYLES
        and sizes[str(row["campaign_id"])] < LINKABLE_CAMPAIGN_SIZE
    ]
    if not accounts:  # not an AssertionError: a lost premise must fail, not pass as the known miss
        raise LookupError("seed 7301 was chosen for its 2-account shapeless swarms and short-label bot")
    return accounts


@pytest.mark.xfail(
    strict=True,
    raises=AssertionError,
    reason="known limitation (docs/detect.md, Limitations): a campaign of 1-2 accounts harvesting short "
    "labels or replaying chats shows no harvesting shape and shares no card or key beyond what a "
    "household does, and a single account looping short labels looks like a busy classifier app, "
    "so neither detection path sees them",
)
def test_small_shapeless_campaigns_are_flagged(scored: Scored) -> None:
    accounts = _small_shapeless_campaign_accounts(scored)
    assert sum(a["flagged"] for a in accounts) / len(accounts) >= 0.9


def test_each_linkable_harvesting_campaign_is_found_under_one_campaign_id(scored: Scored) -> None:
    evident = with_harvesting_evidence(scored.labels)
    members: dict[str, list[dict]] = defaultdict(list)
    for account in scored.findings["accounts"]:
        truth = scored.labels[account["account_id"]]["campaign_id"]
        if truth is not None:
            members[str(truth)].append(account)
    campaigns = {t: a for t, a in members.items() if any(x["account_id"] in evident for x in a)}
    assert campaigns
    for truth, accounts in campaigns.items():
        ids = Counter(a["campaign_id"] for a in accounts if a["flagged"])
        assert ids, f"campaign {truth} not found"
        assert ids.most_common(1)[0][1] > len(accounts) / 2, (truth, ids)


def test_evaluation_pipelines_are_cleared_by_the_validation_defense(scored: Scored) -> None:
    evals = _by_population(scored)["eval_pipeline"]
    assert evals
    assert not any(a["flagged"] for a in evals)
    index = scored.analysis.index_of()
    scores = scored.analysis.scores
    assessed = [a for a in evals if scores.assessed[index[a["account_id"]]]]
    assert assessed
    for account in assessed:
        assert scores.discount[index[account["account_id"]]] < 0.5
    # A pipeline of a few items run once sent too few requests to be judged either way: it is
    # listed with score 0 (not assessed), not cleared by a defense it cannot show.
    for account in evals:
        if not scores.assessed[index[account["account_id"]]]:
            assert account["score"] == 0 and not account["flagged"]


def test_enterprises_and_people_are_not_flagged_for_sharing_identities(scored: Scored) -> None:
    groups = _by_population(scored)
    for population in ("enterprise", "interactive", "automated_app"):
        accounts = groups[population]
        flagged = sum(a["flagged"] for a in accounts)
        assert flagged <= max(1, 0.005 * len(accounts)), (population, flagged, len(accounts))
    # enterprises do share identities: linkage saw them, scoring did not act on that alone
    linked = [a for a in groups["enterprise"] if a["account_id"] in scored.analysis.linkage.community_of]
    assert linked


def test_no_flag_without_harvesting_shape_or_campaign_evidence(scored: Scored) -> None:
    scores = scored.analysis.scores
    assert not (scores.flagged & (scores.shape <= 0) & (scores.campaign <= 0)).any()
    # an account flagged on its campaign's evidence says so, with the shared value's baseline
    for account in scored.findings["accounts"]:
        i = scored.analysis.index_of()[account["account_id"]]
        if account["flagged"] and scores.shape[i] <= 0:
            [joint] = [s for s in account["signals"] if s["name"] == "campaign_evidence"]
            assert (
                joint["baseline"]["value"] is not None and "no declared organization" in joint["explanation"]
            )


def test_a_campaign_of_many_accounts_does_not_hide_behind_its_own_baseline(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """A low-and-slow swarm making up several percent of active accounts is still found.

    With plain empirical percentiles such a campaign drags the 99th percentile up to its own
    values and disappears (the first benchmark run showed exactly that); robust baselines and
    calibration on conversational accounts must not let it.
    """
    week = simulate_week(tmp_path_factory.mktemp("many"), rows=60_000, seed=7304, scenario="low-and-slow")
    analysis, _ = detect([week / "exchanges.parquet"])
    labels = read_labels(week)
    accounts = analysis.features["account_id"]
    population = np.asarray([labels[a]["population"] for a in accounts])
    campaign = population == "campaign_low_and_slow"
    assessed = analysis.scores.assessed
    assert campaign.sum() > 0.03 * assessed.sum()  # the premise: a sizeable share of active accounts
    flagged = analysis.scores.flagged
    # Each campaign large enough to be linked is found: most of its accounts are flagged, including
    # those running short-label or chat styles, which only their campaign gives away.
    truth = np.asarray([str(labels[a]["campaign_id"]) for a in accounts])
    sizes = campaign_sizes(labels)
    linkable = [c for c, n in sizes.items() if n >= LINKABLE_CAMPAIGN_SIZE]
    assert len(linkable) >= 3
    for name in linkable:
        assert flagged[truth == name].mean() > 0.5, name
    # Accounts harvesting in a harvesting style are found at the original bar. Across all
    # campaign accounts the figure is lower by construction (1-2 account campaigns at human
    # rates; shapeless styles): low-and-slow recall 0.79 in benchmarks/results/detect-quality.json
    # (seeds 9301-9307, 1M rows each).
    evident = np.isin(accounts, list(with_harvesting_evidence(labels)))
    assert evident.sum() >= 10
    assert flagged[evident].mean() >= 0.9
    assert flagged[~campaign].sum() <= max(1, 0.005 * (~campaign).sum())
