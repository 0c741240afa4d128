"""Keys per account group, the secret split, multiple-testing correction, and findings as groups."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest
from scipy.stats import binomtest

from distillgov.watermark.keys import (
    adjust_p_values,
    assign_split,
    attribute,
    campaign_groups,
    derive_key,
    parse_key,
)

MASTER = bytes(range(32))


def test_derived_keys_are_deterministic_and_distinct_across_groups_and_splits() -> None:
    keys = {
        (g, s): derive_key(MASTER, g, s) for g in ("account:a", "account:b", "campaign:x") for s in (0, 1)
    }
    assert len(set(keys.values())) == len(keys)
    assert all(len(k) == 32 for k in keys.values())
    assert derive_key(MASTER, "account:a", 1) == keys[("account:a", 1)]
    assert derive_key(bytes(range(1, 33)), "account:a", 1) != keys[("account:a", 1)]


def test_split_is_deterministic_balanced_and_keyed() -> None:
    ids = [f"req-{i}" for i in range(4_000)]
    splits = [assign_split(MASTER, r) for r in ids]
    assert splits == [assign_split(MASTER, r) for r in ids]
    assert binomtest(sum(splits), len(ids), 0.5).pvalue > 1e-3
    other = [assign_split(bytes(range(1, 33)), r) for r in ids]
    agreement = sum(a == b for a, b in zip(splits, other, strict=True))
    assert binomtest(agreement, len(ids), 0.5).pvalue > 1e-3  # another master key: an independent coin
    assert set(assign_split(MASTER, r, n_splits=3) for r in ids[:200]) == {0, 1, 2}


def test_holm_and_bonferroni_adjustments() -> None:
    p_values = {"a": 0.01, "b": 0.04, "c": 0.03, "d": 0.5}
    holm = adjust_p_values(p_values, "holm")
    assert holm == pytest.approx({"a": 0.04, "c": 0.09, "b": 0.09, "d": 0.5})
    assert adjust_p_values(p_values, "bonferroni") == pytest.approx(
        {"a": 0.04, "b": 0.16, "c": 0.12, "d": 1.0}
    )


def test_attribution_ranks_and_flags_with_family_wise_control() -> None:
    ranked = attribute({"campaign:x": 1e-9, "account:y": 0.2, "account:z": 4e-4}, alpha=1e-3)
    assert [a.group_id for a in ranked] == ["campaign:x", "account:z", "account:y"]
    assert [a.significant for a in ranked] == [True, True, False]
    assert ranked[1].adjusted_p_value == pytest.approx(8e-4)
    from_results = attribute({"g": SimpleNamespace(p_value=1e-5), "h": 0.5})
    assert from_results[0].group_id == "g" and from_results[0].adjusted_p_value == pytest.approx(2e-5)
    with pytest.raises(ValueError, match="at least one"):
        attribute({})
    with pytest.raises(ValueError, match="outside"):
        attribute({"a": 1.5})


def test_campaign_groups_from_findings(tmp_path: Path) -> None:
    findings = tmp_path / "findings.json"
    findings.write_text(
        json.dumps({"campaigns": [{"campaign_id": "campaign-abc", "accounts": ["u1", "u2"]}]})
    )
    assert campaign_groups(findings) == {"campaign-abc": ["u1", "u2"]}
    findings.write_text("{}")
    with pytest.raises(ValueError, match="campaigns"):
        campaign_groups(findings)


def test_parse_key_accepts_hex_or_text_and_refuses_short_keys() -> None:
    assert parse_key("00" * 16) == bytes(16)
    assert parse_key("a passphrase of 16+") == b"a passphrase of 16+"
    with pytest.raises(ValueError, match="16 bytes"):
        parse_key("short")
    with pytest.raises(ValueError, match="16 bytes"):
        derive_key(b"short", "g")
