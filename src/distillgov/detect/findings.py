"""The findings document (a public contract) built from an analysis.

Shape (see docs/detect.md for every field):

    {"tool": {...}, "inputs": [{"path", "sha256", "rows"}], "parameters": {...},
     "accounts": [{"account_id", "score", "flagged", "campaign_id", "signals": [...]}],
     "campaigns": [{"campaign_id", "accounts", "score", "requests", "output_tokens",
                    "first_seen", "last_seen", "signals": [...], "sample_prompts": [...]}]}

Every account seen appears. A flagged account lists every signal (computed or not, with why);
an unflagged one lists only the signals that exceeded their baseline, plus the validation
defense where it cancelled harvesting evidence, which keeps a file over millions of accounts
readable while every non-zero contribution to any score stays visible.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from distillgov.detect.baselines import Baseline
from distillgov.detect.campaigns import campaigns_of
from distillgov.detect.pipeline import Analysis
from distillgov.detect.records import number, signal_record
from distillgov.detect.signals import SIGNALS, Family, Signal
from distillgov.provenance import tool_block

FINDINGS_FORMAT = 1


def _explain(signal: Signal, value: float, baseline: Baseline, strength: float) -> str:
    if not np.isfinite(value):
        return f"{signal.unit}: not assessed for this account (no data for it)"
    if not np.isfinite(baseline.value) or baseline.value <= 0:
        return f"{signal.unit} = {value:,.3g}; no usable baseline in this traffic"
    ratio = value / baseline.value
    return (
        f"{signal.unit} = {value:,.4g}, {ratio:,.2f}x the {baseline.percentile:g}th percentile "
        f"({baseline.value:,.4g}) of {baseline.reference}; strength {strength:.2f}"
    )


def _template_note(value: float) -> str:
    if not np.isfinite(value):
        return "template repetition: not measured (read only for accounts with harvesting shape)"
    return (
        f"template repetition: {value:.0%} of sampled prompts near-duplicate another of this account's "
        f"own (an application's fixed instructions); harvesting shape multiplied by {1 - value:.2f}"
    )


def account_signals(analysis: Analysis, i: int, everything: bool) -> list[dict[str, Any]]:
    """The signal records of account `i` (all of them, or only the ones that contributed)."""
    out: list[dict[str, Any]] = []
    scores = analysis.scores
    for signal in SIGNALS:
        baseline = analysis.baselines[signal.name]
        if signal.name in analysis.not_computed:
            if everything:
                out.append(signal_record(signal, None, None, analysis.not_computed[signal.name], None))
            continue
        value = float(analysis.features[signal.name][i])
        if signal.name == "template_repetition":
            if everything or (np.isfinite(value) and value > 0):
                out.append(signal_record(signal, value, baseline, _template_note(value), None))
            continue
        if signal.family is Family.VALIDATION:
            applied = scores.discount[i] < 1 and analysis.scores.families[Family.SHAPE][i] > 0
            if not (everything or applied):
                continue
            explanation = (
                f"validation defense: {value:.0%} of requests repeat prompts this account sent on "
                f"other days; volume counted on novel prompts only (x{scores.discount[i]:.2f})"
                if np.isfinite(value)
                else "validation defense: no prompts to compare"
            )
            out.append(signal_record(signal, value, baseline, explanation, None))
            continue
        strength = float(scores.strengths[signal.name][i])
        if everything or strength > 0:
            out.append(
                signal_record(signal, value, baseline, _explain(signal, value, baseline, strength), strength)
            )
    joint = (
        analysis.campaign.record_for(str(analysis.features["account_id"][i])) if analysis.campaign else None
    )
    if joint is not None:
        out.append(joint)
    return out


def _with_evidence(analysis: Analysis) -> np.ndarray:
    """Accounts whose entry lists any signal: some strength above zero, or the defense applied.

    Decided for all accounts at once, so the per-account loop below builds records only for the
    few percent that have any (the rest get an empty list), whatever the number of accounts.
    """
    scores = analysis.scores
    shown = np.zeros(len(scores.score), dtype=bool)
    for signal in SIGNALS:
        if signal.name in analysis.not_computed:
            continue
        if signal.family is Family.VALIDATION:
            shown |= (scores.discount < 1) & (scores.families[Family.SHAPE] > 0)
        else:
            shown |= scores.strengths[signal.name] > 0
    shown |= scores.flagged | (scores.campaign > 0)
    return shown


def build_findings(analysis: Analysis, inputs: list[dict[str, Any]], extra: dict[str, Any]) -> dict[str, Any]:
    """The whole findings document."""
    f, s = analysis.features, analysis.scores
    campaigns, account_campaign = campaigns_of(analysis)
    evidence = _with_evidence(analysis).tolist()
    scores = [number(v) or 0.0 for v in s.score.tolist()]
    accounts = []
    for i, (account, flagged) in enumerate(zip(f["account_id"].tolist(), s.flagged.tolist(), strict=True)):
        accounts.append(
            {
                "account_id": account,
                "score": scores[i],
                "flagged": flagged,
                "campaign_id": account_campaign.get(account),
                "signals": account_signals(analysis, i, everything=flagged) if evidence[i] else [],
            }
        )
    return {
        "format": FINDINGS_FORMAT,
        "tool": tool_block(),
        "inputs": inputs,
        "parameters": {
            **analysis.params.as_dict(),
            "threshold": number(s.threshold),
            "estimated_fpr": number(s.estimated_fpr),
            "accounts_assessed": int(s.assessed.sum()),
            "absent_columns": sorted(analysis.absent),
            "signals_not_computed": dict(sorted(analysis.not_computed.items())),
            "baselines": {k: b.as_dict() for k, b in analysis.baselines.items()},
            **extra,
        },
        "summary": {
            "accounts": len(accounts),
            "flagged": int(s.flagged.sum()),
            "campaigns": len(campaigns),
        },
        "accounts": accounts,
        "campaigns": campaigns,
    }
