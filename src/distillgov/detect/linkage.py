"""Linkage: accounts tied by shared identities form communities, judged as one campaign.

Links come from identity attributes (`features.LINK_KINDS`: payment fingerprint, API key,
organization, exact IP, /24 subnet, user agent, creation hour) and from shared near-duplicate
prompt templates (MinHash LSH over each account's bounded prompt sample). Each shared value is a
node of a bipartite account-value graph; an edge's weight is the kind's prior specificity
(`KIND_WEIGHTS`: a card is far more specific than a user-agent string) divided by log2(1 + the
number of accounts sharing the value), so a value shared by everyone links no one. Values
shared by more than `max_group` accounts are dropped outright (a popular SDK version, a carrier's
NAT range), which also keeps the graph linear in the number of accounts.

Communities are found with Louvain (networkx, fixed seed, so the result is reproducible). Only
values shared by at least one *candidate* (an account with harvesting shape) are kept: a
community without candidates cannot change any finding, and pruning keeps the graph small.

Linkage never flags anyone by itself: enterprises legitimately share a card, an organization,
an office /24 and an onboarding day. It contributes *coordination* — the harvesting shape of an
account's community peers — which `scoring.py` lets stand in for per-account scale: a
low-and-slow swarm stays under every per-account rate, but not under its peers' shared shape.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import duckdb
import networkx as nx
import numpy as np
import pyarrow as pa

from distillgov.traffic.signature import minhash_signatures, signature_matrix, splitmix64

KIND_WEIGHTS: dict[str, float] = {
    "payment_fingerprint": 1.0,
    "api_key_id": 1.0,
    "organization_id": 1.0,
    "client_ip": 0.6,
    "template": 0.5,
    "created_hour": 0.4,
    "subnet": 0.3,
    "user_agent": 0.2,
}
LSH_BANDS = 4  # 16-slot signatures in 4 bands of 4: pairs above ~0.5 Jaccard usually share a band
LOUVAIN_SEED = 20261123


@dataclass
class Linkage:
    """Community of each account (index into `communities`) and what its members share."""

    community_of: dict[str, int]
    communities: list[list[str]]
    shared: list[dict[str, int]] = field(default_factory=list)  # per community: kind -> shared values
    edges: list[list[tuple[str, str, str]]] = field(default_factory=list)  # (account, kind, value)


def template_links(sample: pa.Table) -> pa.Table:
    """(account, "template", LSH bucket) for each sampled prompt, from its text or stored MinHash."""
    if sample.num_rows == 0:
        return pa.table({n: pa.array([], pa.string()) for n in ("account_id", "kind", "value")})
    prompts = sample.column("prompt").combine_chunks()
    stored = sample.column("prompt_minhash").combine_chunks()
    computed = minhash_signatures(prompts.fill_null(""))
    matrix = np.where(
        np.asarray(prompts.is_valid())[:, None], signature_matrix(computed), _list_matrix(stored)
    )
    valid = matrix.any(axis=1)
    rows = matrix.shape[1] // LSH_BANDS
    accounts = sample.column("account_id").combine_chunks().filter(pa.array(np.asarray(valid, dtype=bool)))
    parts = []
    for band in range(LSH_BANDS):
        part = matrix[valid, band * rows : (band + 1) * rows].astype(np.uint64)
        key = np.full(len(part), np.uint64(band))
        for column in range(rows):
            key = splitmix64(key ^ part[:, column])
        parts.append(
            pa.table(
                {
                    "account_id": accounts,
                    "kind": pa.repeat("template", len(key)),
                    "value": pa.array(key).cast(pa.string()),
                }
            )
        )
    return pa.concat_tables(parts)


def _list_matrix(column: Any) -> np.ndarray:
    """Stored variable-length MinHash lists as a (n, 16) matrix (zeros where absent)."""
    rows = column.to_pylist()
    width = 16
    return np.asarray(
        [r if r is not None and len(r) == width else [0] * width for r in rows], dtype=np.uint32
    )


def _linking_groups(
    links: pa.Table, candidates: set[str], max_group: int, absent_kinds: set[str]
) -> list[tuple[str, str, list[str]]]:
    """Shared values that can link: 2..max_group accounts, at least one of them a candidate."""
    con = duckdb.connect()
    con.register("links", links)
    con.register("candidates", pa.table({"account_id": pa.array(sorted(candidates), pa.string())}))
    con.register("absent", pa.table({"kind": pa.array(sorted(absent_kinds), pa.string())}))
    rows = con.sql(
        f"""SELECT kind, value, list(DISTINCT account_id ORDER BY account_id) AS members
            FROM links
            WHERE kind NOT IN (SELECT kind FROM absent)
            GROUP BY kind, value
            HAVING count(DISTINCT account_id) BETWEEN 2 AND {int(max_group)}
               AND bool_or(account_id IN (SELECT account_id FROM candidates))
            ORDER BY kind, value"""
    ).fetchall()
    return [(str(k), str(v), list(m)) for k, v, m in rows]


def link_communities(
    links: pa.Table, candidates: set[str], max_group: int, absent_kinds: set[str]
) -> Linkage:
    """Louvain communities of the account-value graph around candidate accounts."""
    graph = nx.Graph()
    for kind, value, members in _linking_groups(links, candidates, max_group, absent_kinds):
        weight = KIND_WEIGHTS[kind] / np.log2(1 + len(members))
        node = f"v\x00{kind}\x00{value}"
        for account in members:
            graph.add_edge(f"a\x00{account}", node, weight=weight)
    found = nx.community.louvain_communities(graph, weight="weight", seed=LOUVAIN_SEED) if graph else []
    communities: list[list[str]] = []
    shared: list[dict[str, int]] = []
    edges: list[list[tuple[str, str, str]]] = []
    for block in found:
        accounts = sorted(n.split("\x00", 1)[1] for n in block if n.startswith("a\x00"))
        if len(accounts) < 2:
            continue
        kinds: dict[str, int] = defaultdict(int)
        block_edges: list[tuple[str, str, str]] = []
        for node in block:
            if node.startswith("v\x00"):
                _, kind, value = node.split("\x00", 2)
                linked = [n.split("\x00", 1)[1] for n in graph.neighbors(node) if n in block]
                if len(linked) >= 2:
                    kinds[kind] += 1
                    block_edges.extend((a, kind, value) for a in linked)
        communities.append(accounts)
        shared.append(dict(sorted(kinds.items())))
        edges.append(block_edges)
    order = sorted(range(len(communities)), key=lambda i: communities[i][0])
    communities = [communities[i] for i in order]
    shared = [shared[i] for i in order]
    edges = [edges[i] for i in order]
    community_of = {a: i for i, members in enumerate(communities) for a in members}
    return Linkage(community_of, communities, shared, edges)
