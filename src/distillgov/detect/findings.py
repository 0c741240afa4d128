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

import hashlib
import re
from datetime import datetime
from typing import Any

import numpy as np

from distillgov.detect.baselines import Baseline
from distillgov.detect.pipeline import Analysis
from distillgov.detect.signals import SIGNALS, Family, Signal
from distillgov.provenance import tool_block

FINDINGS_FORMAT = 1


def _num(value: float) -> float | None:
    return None if value is None or not np.isfinite(value) else float(round(float(value), 4))


def _iso(value: Any) -> str | None:
    return value.isoformat() if isinstance(value, datetime) else None


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


def account_signals(analysis: Analysis, i: int, everything: bool) -> list[dict[str, Any]]:
    """The signal records of account `i` (all of them, or only the ones that contributed)."""
    out: list[dict[str, Any]] = []
    scores = analysis.scores
    for signal in SIGNALS:
        baseline = analysis.baselines[signal.name]
        if signal.name in analysis.not_computed:
            if everything:
                out.append(_record(signal, None, None, analysis.not_computed[signal.name], None))
            continue
        value = float(analysis.features[signal.name][i])
        if signal.family is Family.VALIDATION:
            applied = scores.discount[i] < 1 and analysis.scores.families[Family.SHAPE][i] > 0
            if not (everything or applied):
                continue
            explanation = (
                f"validation defense: {value:.0%} of requests repeat prompts this account sent on "
                f"other days; harvesting evidence multiplied by {scores.discount[i]:.2f}"
                if np.isfinite(value)
                else "validation defense: no prompts to compare"
            )
            out.append(_record(signal, value, baseline, explanation, None))
            continue
        strength = float(scores.strengths[signal.name][i])
        if everything or strength > 0:
            out.append(
                _record(signal, value, baseline, _explain(signal, value, baseline, strength), strength)
            )
    return out


def _record(
    signal: Signal, value: float | None, baseline: Baseline | None, explanation: str, strength: float | None
) -> dict[str, Any]:
    return {
        "name": signal.name,
        "family": signal.family.value,
        "value": None if value is None else _num(value),
        "baseline": None if baseline is None else baseline.as_dict(),
        "strength": None if strength is None else _num(strength),
        "explanation": explanation,
    }


def campaign_id(members: list[str]) -> str:
    """Stable id of a campaign: a digest of its sorted member ids."""
    return "campaign-" + hashlib.sha256("\n".join(sorted(members)).encode()).hexdigest()[:12]


_MASKS = (
    (re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+"), "<email>"),
    (re.compile(r"https?://\S+"), "<url>"),
    (re.compile(r"\d"), "#"),
)


def display_prompt(text: str | None, mode: str, limit: int = 160) -> dict[str, Any]:
    """A sample prompt as the findings may show it: hashed (default), redacted or full."""
    if text is None:
        return {"sha256": None, "chars": None, "text": None, "display": "absent (text dropped at ingest)"}
    entry: dict[str, Any] = {"sha256": hashlib.sha256(text.encode()).hexdigest(), "chars": len(text)}
    if mode == "full":
        entry.update(text=text, display="full")
    elif mode == "redacted":
        masked = text
        for pattern, replacement in _MASKS:
            masked = pattern.sub(replacement, masked)
        cut = masked[:limit] + ("…" if len(masked) > limit else "")
        entry.update(text=cut, display=f"redacted: digits, e-mails and URLs masked, first {limit} characters")
    else:
        entry.update(text=None, display="hashed: sha256 and length only (use --prompt-display to show text)")
    return entry


def build_findings(analysis: Analysis, inputs: list[dict[str, Any]], extra: dict[str, Any]) -> dict[str, Any]:
    """The whole findings document."""
    from distillgov.detect.campaigns import campaigns_of

    f, s = analysis.features, analysis.scores
    campaigns, account_campaign = campaigns_of(analysis)
    accounts = []
    for i, account in enumerate(f["account_id"].tolist()):
        flagged = bool(s.flagged[i])
        accounts.append(
            {
                "account_id": account,
                "score": _num(s.score[i]) or 0.0,
                "flagged": flagged,
                "campaign_id": account_campaign.get(account),
                "signals": account_signals(analysis, i, everything=flagged),
            }
        )
    return {
        "format": FINDINGS_FORMAT,
        "tool": tool_block(),
        "inputs": inputs,
        "parameters": {
            **analysis.params.as_dict(),
            "threshold": _num(s.threshold),
            "estimated_fpr": _num(s.estimated_fpr),
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
