"""Watermark keys per account group, a secret split of each group's outputs, and attribution.

A provider keeps one master key. Each account group (an account, or a campaign once detection has
linked its accounts — see docs/detect.md) gets keys derived from it with HKDF-SHA256, one per
split: the outputs an account receives are divided, by a keyed and secret coin, between split 0 and
split 1. A student trained on everything the group harvested then carries both splits' marks;
a party that claims it only evaluated on part of the data, or a later `trained-on` test, has a
matched control set the provider built in from the start, which no public tool offers.

`attribute` turns one suspect's scores under many group keys into a ranking whose significance
survives the number of groups tried (Holm or Bonferroni), so pointing at one campaign out of many
is not a multiple-comparisons artefact.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

KEY_BYTES = 32
_SALT = b"distillgov watermark v1"


def derive_key(master_key: bytes, group_id: str, split: int = 0) -> bytes:
    """The watermark key of one (group, split): HKDF-SHA256, independent across groups and splits."""
    if len(master_key) < 16:
        raise ValueError(f"the master key needs at least 16 bytes, got {len(master_key)}")
    if split < 0:
        raise ValueError(f"split must be >= 0, got {split}")
    info = json.dumps({"group": group_id, "split": split}, sort_keys=True).encode()
    return HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=_SALT, info=info).derive(master_key)


def key_fingerprint(key: bytes) -> str:
    """A public identifier of a key (never the key): safe in logs and reports, the same for every scheme."""
    return hashlib.sha256(b"distillgov-key-id:" + key).hexdigest()[:16]


def assign_split(master_key: bytes, request_id: str, n_splits: int = 2) -> int:
    """The split a request's output is watermarked under: deterministic, secret, uniform.

    A keyed HMAC rather than a hash of the id alone, so that nobody without the master key can
    tell which of their outputs fell in which split.
    """
    if n_splits < 1:
        raise ValueError(f"n_splits must be >= 1, got {n_splits}")
    digest = hmac.new(master_key, b"split:" + request_id.encode(), hashlib.sha256).digest()
    return int.from_bytes(digest[:8], "big") % n_splits


def parse_key(text: str) -> bytes:
    """A master key from the command line: hex (>= 32 hex digits) or, failing that, its UTF-8 bytes."""
    stripped = text.strip()
    try:
        key = bytes.fromhex(stripped)
    except ValueError:
        key = stripped.encode()
    if len(key) < 16:
        raise ValueError("a watermark key needs at least 16 bytes (32 hex digits or 16 characters)")
    return key


@dataclass(frozen=True)
class GroupAttribution:
    """One group's evidence: its raw p-value and the one corrected for every group tested."""

    group_id: str
    p_value: float
    adjusted_p_value: float
    significant: bool


def adjust_p_values(
    p_values: Mapping[str, float], method: Literal["holm", "bonferroni"] = "holm"
) -> dict[str, float]:
    """Family-wise error-controlling adjusted p-values (Holm's step-down, or Bonferroni)."""
    m = len(p_values)
    if method == "bonferroni":
        return {group: min(1.0, p * m) for group, p in p_values.items()}
    if method != "holm":
        raise ValueError(f"unknown correction {method!r}: use 'holm' or 'bonferroni'")
    adjusted: dict[str, float] = {}
    running = 0.0
    for rank, (group, p) in enumerate(sorted(p_values.items(), key=lambda item: (item[1], item[0]))):
        running = max(running, min(1.0, (m - rank) * p))
        adjusted[group] = running
    return adjusted


class HasPValue(Protocol):
    """Any test result with a p-value (a `WatermarkScore`, a SynthID score, a radioactivity result)."""

    @property
    def p_value(self) -> float: ...


def attribute(
    scores: Mapping[str, float | HasPValue],
    alpha: float = 1e-3,
    method: Literal["holm", "bonferroni"] = "holm",
) -> list[GroupAttribution]:
    """Rank groups by how strongly a suspect carries their key, most significant first.

    `scores` maps each group tested to the suspect's p-value under that group's key, or to the
    result holding it (e.g. the `WatermarkScore` of `detect.score_token_ids`, or a radioactivity
    test's). A group is `significant` when its adjusted p-value is <= alpha: the family-wise
    error over all groups tested stays below alpha.
    """
    p_values = {
        group: float(score) if isinstance(score, int | float) else float(score.p_value)
        for group, score in scores.items()
    }
    if not p_values:
        raise ValueError("no groups to attribute: pass at least one group's p-value")
    for group, p in p_values.items():
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"group {group!r}: p-value {p} outside [0, 1]")
    adjusted = adjust_p_values(p_values, method)
    ranked = sorted(p_values, key=lambda group: (adjusted[group], p_values[group], group))
    return [
        GroupAttribution(group, p_values[group], adjusted[group], adjusted[group] <= alpha)
        for group in ranked
    ]


def campaign_groups(findings_path: Path) -> dict[str, list[str]]:
    """campaign_id -> member account ids, from a findings JSON written by `distillgov detect`."""
    try:
        findings = json.loads(findings_path.read_text())
        campaigns = findings["campaigns"]
        return {campaign["campaign_id"]: list(campaign["accounts"]) for campaign in campaigns}
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise ValueError(
            f"{findings_path}: not a findings file from `distillgov detect` "
            f"(need campaigns[].campaign_id and .accounts): {error}"
        ) from error
