"""Campaigns that share a proxy network stay apart; a swarm linked only by weak ties stays whole.

The identities are generated: each campaign draws its accounts' templates, creation bursts and
exit addresses at random from its own pools, two campaigns rent exits in the same proxy /24 (so
some of their accounts land on the very same address), and a swarm without any shared card
holds together only by its own proxies, templates and bursts. A popular client string and
hundreds of ordinary accounts sit beside them. Before exact addresses were weighed by their
network's crowd, an exit address shared across the two campaigns tore mixed two-account
communities out of both.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
import pyarrow as pa
import pytest

from distillgov.detect.linkage import link_communities

Row = tuple[str, str, str]
POPULAR_CLIENT = "python-requests/2.31"


def _campaign(rng: np.random.Generator, name: str, n: int, subnets: list[str], templates: int) -> list[Row]:
    rows: list[Row] = []
    for i in range(n):
        account = f"{name}{i:03d}"
        subnet = subnets[rng.integers(len(subnets))]
        rows += [
            (account, "payment_fingerprint", f"{account}-own-card"),  # every account pays on its own
            (account, "api_key_id", f"{account}-key"),
            (account, "subnet", subnet),
            (account, "client_ip", f"{subnet}.{rng.integers(256)}"),
            (account, "created_hour", f"{name}-burst-{rng.integers(2)}"),
            (account, "user_agent", POPULAR_CLIENT),
        ]
        rows += [(account, "template", f"{name}-t{t}") for t in rng.choice(templates, 4, replace=False)]
    return rows


def _people(n: int) -> list[Row]:
    rows: list[Row] = []
    for i in range(n):
        account = f"person{i:03d}"
        rows += [(account, "user_agent", POPULAR_CLIENT), (account, "subnet", f"10.{i % 50}.0")]
    return rows


def _table(rows: list[Row]) -> pa.Table:
    accounts, kinds, values = zip(*rows, strict=True)
    return pa.table({"account_id": list(accounts), "kind": list(kinds), "value": list(values)})


@pytest.mark.parametrize("seed", [11, 12, 13])
def test_proxy_sharing_campaigns_stay_two_and_a_weakly_tied_swarm_stays_one(seed: int) -> None:
    rng = np.random.default_rng(seed)
    proxy = ["203.0.113"]  # one rented proxy range, used by both campaigns
    rows = _campaign(rng, "alpha", 30, proxy, templates=5)
    rows += _campaign(rng, "bravo", 30, proxy, templates=5)
    rows += _campaign(rng, "swarm", 60, ["198.51.100", "198.51.101", "198.51.102"], templates=4)
    rows += _people(300)
    candidates = {a for a, _, _ in rows if not a.startswith("person")}
    linkage = link_communities(_table(rows), candidates, 2000, set())
    owners = [Counter(a.rstrip("0123456789") for a in members) for members in linkage.communities]
    for group in ("alpha", "bravo", "swarm"):
        holding = [o for o in owners if group in o]
        assert len(holding) == 1, (group, owners)  # one community holds the whole group ...
        assert holding[0] == Counter({group: holding[0][group]}), owners  # ... and nothing else
        assert holding[0][group] == {"alpha": 30, "bravo": 30, "swarm": 60}[group]
    shared = linkage.shared[linkage.community_of["alpha000"]]
    assert shared.get("subnet") == 1  # the proxy range is still reported as shared evidence
