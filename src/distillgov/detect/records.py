"""Pieces of the findings document shared by accounts and campaigns: numbers, signal records, ids, prompts."""

from __future__ import annotations

import hashlib
import math
import re
from datetime import UTC, datetime
from typing import Any

import numpy as np

from distillgov.detect.baselines import Baseline
from distillgov.detect.signals import Signal


def number(value: float | None) -> float | None:
    """A JSON number rounded to 4 decimals, or null for a missing or non-finite value."""
    if value is None or not math.isfinite(value):
        return None
    return round(float(value), 4)


def iso(value: Any) -> str | None:
    """ISO 8601 in UTC of a datetime or a (UTC) datetime64; None for anything else (NaT included)."""
    if isinstance(value, np.datetime64):
        if np.isnat(value):
            return None
        value = value.astype("datetime64[us]").item().replace(tzinfo=UTC)
    return value.isoformat() if isinstance(value, datetime) else None


def signal_record(
    signal: Signal, value: float | None, baseline: Baseline | None, explanation: str, strength: float | None
) -> dict[str, Any]:
    return {
        "name": signal.name,
        "family": signal.family.value,
        "value": None if value is None else number(value),
        "baseline": None if baseline is None else baseline.as_dict(),
        "strength": None if strength is None else number(strength),
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
