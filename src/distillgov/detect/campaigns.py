"""Campaigns: flagged accounts grouped by their linkage community, with pooled evidence.

A campaign is the set of flagged accounts of one linkage community (a flagged account with no
community is a campaign of one). Its evidence is what a person would put before a court:
pooled volume against the human ceiling (*Compulife*: collection at a scale no person could
reach), what the accounts share, the members' median signals against the same baselines, and
sample prompts shown as `--prompt-display` allows.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from distillgov.detect.pipeline import Analysis
from distillgov.detect.records import campaign_id, display_prompt, iso, number, signal_record
from distillgov.detect.signals import SIGNALS, SIGNALS_BY_NAME, Family

_SECONDS_PER_DAY = 86400.0


def campaign_groups(analysis: Analysis) -> list[list[int]]:
    """Account indices of each campaign, largest first, then by first member id."""
    flagged = np.flatnonzero(analysis.scores.flagged)
    accounts = analysis.features["account_id"]
    groups: dict[Any, list[int]] = defaultdict(list)
    for i in flagged.tolist():
        community = analysis.linkage.community_of.get(accounts[i])
        groups[("c", community) if community is not None else ("a", accounts[i])].append(i)
    return sorted(groups.values(), key=lambda g: (-len(g), accounts[g[0]]))


def pooled_signal(
    analysis: Analysis, name: str, total: float, days: float, baseline_of: str
) -> dict[str, Any]:
    """A campaign's combined daily volume as a multiple of one person's high percentile."""
    baseline = analysis.baselines[baseline_of]
    value = total / days
    ratio = value / baseline.value if baseline.value and np.isfinite(baseline.value) else float("nan")
    return {
        "name": name,
        "family": "campaign",
        "value": number(value),
        "baseline": baseline.as_dict(),
        "strength": None,
        "explanation": (
            f"the campaign's accounts together: {value:,.0f} per day over {days:.1f} days, "
            f"{ratio:,.1f}x the {baseline.percentile:g}th percentile of one account among "
            f"{baseline.reference}"
        ),
    }


def _first_prompts(analysis: Analysis, accounts: list[str]) -> dict[str, str | None]:
    """Each listed account's first sampled prompt (lowest request id): the campaign's examples.

    Only flagged accounts are read: the sample of a whole week holds millions of prompts.
    """
    sample = analysis.partials.sample
    mine = sample.filter(pc.is_in(sample.column("account_id"), value_set=pa.array(accounts, pa.string())))
    mine = mine.select(["account_id", "request_id", "prompt"]).sort_by(
        [("account_id", "ascending"), ("request_id", "ascending")]
    )
    out: dict[str, str | None] = {}
    for account, prompt in zip(
        mine.column("account_id").to_pylist(), mine.column("prompt").to_pylist(), strict=True
    ):
        out.setdefault(str(account), prompt)
    return out


def campaigns_of(analysis: Analysis) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """The campaigns block and each flagged account's campaign id."""
    f = analysis.features
    accounts = f["account_id"]
    groups = campaign_groups(analysis)
    first_prompts = _first_prompts(analysis, [accounts[i] for members in groups for i in members])
    campaigns: list[dict[str, Any]] = []
    membership: dict[str, str] = {}
    for members in groups:
        ids = sorted(accounts[i] for i in members)
        cid = campaign_id(ids)
        membership.update({a: cid for a in ids})
        idx = np.asarray(members)
        first, last = f["first_seen"][idx].min(), f["last_seen"][idx].max()
        days = max(float((last - first) / np.timedelta64(1, "s")) / _SECONDS_PER_DAY, 1.0)
        requests = float(np.nansum(f["requests"][idx]))
        output = float(np.nansum(f["output_tokens"][idx]))
        signals = [
            pooled_signal(analysis, "pooled_requests_per_day", requests, days, "requests_per_day"),
        ]
        if "output_tokens_per_day" not in analysis.not_computed:
            signals.append(
                pooled_signal(analysis, "pooled_output_tokens_per_day", output, days, "output_tokens_per_day")
            )
        community = analysis.linkage.community_of.get(ids[0])
        if community is not None:
            for kind, count in analysis.linkage.shared[community].items():
                signals.append(
                    {
                        "name": f"shared_{kind}",
                        "family": "linkage",
                        "value": count,
                        "baseline": None,
                        "strength": None,
                        "explanation": (
                            f"{count} {kind} value(s) shared within the linked community of "
                            f"{len(analysis.linkage.communities[community])} accounts; linkage groups "
                            "accounts into one campaign but never flags on its own"
                        ),
                    }
                )
        for signal in SIGNALS:
            if signal.name in analysis.not_computed or signal.family is Family.VALIDATION:
                continue
            median = (
                float(np.nanmedian(f[signal.name][idx])) if np.isfinite(f[signal.name][idx]).any() else np.nan
            )
            strength = float(np.median(analysis.scores.strengths[signal.name][idx]))
            if strength > 0:
                baseline = analysis.baselines[signal.name]
                record = signal_record(
                    SIGNALS_BY_NAME[signal.name],
                    median,
                    baseline,
                    f"median over the campaign's accounts: {signal.unit} = {median:,.4g}; "
                    f"{median / baseline.value:,.2f}x the {baseline.percentile:g}th percentile of "
                    f"{baseline.reference}; median strength {strength:.2f}",
                    strength,
                )
                signals.append(record)
        prompts = [first_prompts[a] for a in ids if a in first_prompts][: analysis.params.sample_prompts]
        campaigns.append(
            {
                "campaign_id": cid,
                "accounts": ids,
                "score": number(float(np.median(analysis.scores.score[idx]))),
                "requests": int(requests),
                "output_tokens": int(output),
                "first_seen": iso(first),
                "last_seen": iso(last),
                "community_accounts": len(analysis.linkage.communities[community])
                if community is not None
                else 1,
                "signals": signals,
                "sample_prompts": [display_prompt(p, analysis.params.prompt_display) for p in prompts],
            }
        )
    return campaigns, membership
