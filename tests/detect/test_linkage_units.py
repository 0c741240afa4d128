"""Linkage on hand-made identities: who is grouped, and what links no one."""

from __future__ import annotations

import pyarrow as pa

from distillgov.detect.linkage import link_communities


def _links(rows: list[tuple[str, str, str]]) -> pa.Table:
    accounts, kinds, values = zip(*rows, strict=True)
    return pa.table({"account_id": list(accounts), "kind": list(kinds), "value": list(values)})


def test_a_shared_card_groups_candidates_and_a_crowded_value_links_no_one() -> None:
    swarm = [(f"s{i}", "payment_fingerprint", "card-1") for i in range(5)]
    crowd = [(f"x{i}", "user_agent", "popular-sdk") for i in range(50)] + [
        ("s0", "user_agent", "popular-sdk")
    ]
    other = [("lonely", "payment_fingerprint", "card-2")]
    linkage = link_communities(_links(swarm + crowd + other), {"s0", "s1", "lonely"}, 20, set())
    assert linkage.communities == [[f"s{i}" for i in range(5)]]
    assert linkage.shared == [{"payment_fingerprint": 1}]
    assert "lonely" not in linkage.community_of  # a value nobody else holds links nothing


def test_groups_without_any_candidate_are_left_out() -> None:
    enterprise = [(f"e{i}", "organization_id", "org-1") for i in range(10)]
    linkage = link_communities(_links(enterprise), set(), 100, set())
    assert linkage.communities == [] and linkage.community_of == {}


def test_absent_kinds_are_ignored_and_results_are_reproducible() -> None:
    rows = [(f"a{i}", "subnet", "10.0.0") for i in range(6)] + [
        (f"a{i}", "api_key_id", f"k{i // 3}") for i in range(6)
    ]
    first = link_communities(_links(rows), {"a0", "a3"}, 100, set())
    again = link_communities(_links(list(reversed(rows))), {"a0", "a3"}, 100, set())
    assert first.communities == again.communities and first.communities
    without_subnet = link_communities(_links(rows), {"a0", "a3"}, 100, {"subnet"})
    assert without_subnet.communities == [["a0", "a1", "a2"], ["a3", "a4", "a5"]]
