"""Linkage: accounts tied by shared identities form communities, judged as one campaign.

Links come from identity attributes (`features.LINK_KINDS`: payment fingerprint, API key,
organization, exact IP, /24 subnet, user agent, creation hour) and from shared near-duplicate
prompt templates (MinHash LSH over each account's bounded prompt sample). Each shared value is a
node of a bipartite account-value graph; an edge's weight is the kind's prior specificity
(`KIND_WEIGHTS`: a card is far more specific than a user-agent string) divided by log2(1 + the
number of accounts sharing the value), so a value shared by everyone links no one. Values
shared by more than `max_group` accounts are dropped outright (a popular SDK version, a carrier's
NAT range), which also keeps the graph linear in the number of accounts.

Communities are found with Louvain (igraph's multilevel algorithm in C, fixed seed, so the result
is reproducible). Only
values shared by at least one *candidate* (an account with harvesting shape) are kept: a
community without candidates cannot change any finding, and pruning keeps the graph small.

Linkage never flags anyone by itself: enterprises legitimately share a card, an organization,
an office /24 and an onboarding day. It contributes *coordination* — the harvesting shape of an
account's community peers — which `scoring.py` lets stand in for per-account scale: a
low-and-slow swarm stays under every per-account rate, but not under its peers' shared shape.
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import duckdb
import igraph
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


def band_keys(sample: pa.Table) -> tuple[Any, np.ndarray]:
    """Each sampled prompt's account and its LSH bucket per band (rows without text or MinHash dropped).

    Two prompts sharing a bucket are near-duplicates (Jaccard above ~0.5 usually share one).
    """
    prompts = sample.column("prompt").combine_chunks()
    stored = sample.column("prompt_minhash").combine_chunks()
    computed = minhash_signatures(prompts.fill_null(""))
    matrix = np.where(
        np.asarray(prompts.is_valid())[:, None], signature_matrix(computed), _list_matrix(stored)
    )
    valid = matrix.any(axis=1)
    rows = matrix.shape[1] // LSH_BANDS
    accounts = sample.column("account_id").combine_chunks().filter(pa.array(np.asarray(valid, dtype=bool)))
    keys = np.empty((int(valid.sum()), LSH_BANDS), dtype=np.uint64)
    for band in range(LSH_BANDS):
        part = matrix[valid, band * rows : (band + 1) * rows].astype(np.uint64)
        key = np.full(len(part), np.uint64(band))
        for column in range(rows):
            key = splitmix64(key ^ part[:, column])
        keys[:, band] = key
    return accounts, keys


def template_links(sample: pa.Table) -> pa.Table:
    """(account, "template", LSH bucket) for each sampled prompt, from its text or stored MinHash."""
    if sample.num_rows == 0:
        return pa.table({n: pa.array([], pa.string()) for n in ("account_id", "kind", "value")})
    accounts, keys = band_keys(sample)
    parts = [
        pa.table(
            {
                "account_id": accounts,
                "kind": pa.repeat("template", len(keys)),
                "value": pa.array(keys[:, band]).cast(pa.string()),
            }
        )
        for band in range(LSH_BANDS)
    ]
    return pa.concat_tables(parts)


def template_repetition(sample: pa.Table) -> dict[str, float]:
    """Per account: share of its sampled prompts that near-duplicate another of its own prompts.

    An application wraps every end user's question in its own fixed instructions, so its prompts
    repeat one template; a harvest asks new questions. (Evaluation replay repeats too.)
    """
    if sample.num_rows == 0:
        return {}
    accounts, keys = band_keys(sample)
    con = duckdb.connect()
    con.register(
        "k",
        pa.table(
            {
                "account_id": accounts,
                "row": np.arange(len(keys)),
                **{f"b{band}": keys[:, band] for band in range(LSH_BANDS)},
            }
        ),
    )
    unpivot = " UNION ALL ".join(
        f"SELECT account_id, row, {b} AS band, b{b} AS key FROM k" for b in range(LSH_BANDS)
    )
    rows = con.sql(
        f"""WITH u AS ({unpivot}),
                 c AS (SELECT account_id, band, key, count(*) AS n FROM u GROUP BY ALL),
                 r AS (SELECT u.account_id, u.row, max(c.n) > 1 AS repeated
                       FROM u JOIN c USING (account_id, band, key) GROUP BY ALL)
            SELECT account_id, avg(repeated::DOUBLE) FROM r GROUP BY account_id"""
    ).fetchall()
    return {str(a): float(v) for a, v in rows}


def _list_matrix(column: Any) -> np.ndarray:
    """Stored variable-length MinHash lists as a (n, 16) matrix (zeros where absent)."""
    rows = column.to_pylist()
    width = 16
    return np.asarray(
        [r if r is not None and len(r) == width else [0] * width for r in rows], dtype=np.uint32
    )


def _linking_edges(links: pa.Table, candidates: set[str], max_group: int, absent_kinds: set[str]) -> pa.Table:
    """(account, kind, value, weight) for shared values that can link.

    A value links when 2..max_group accounts share it and at least one of them is a candidate.
    An exact address is only as specific as its network is quiet: inside a proxy or carrier
    range used by many accounts, two strangers land on the same exit address by chance, so a
    client IP is weighed by the larger of its own and its subnet's account count. (Weighed by its
    own count alone, one exit address shared by an account of campaign A and one of campaign B
    outweighed everything else those accounts share with their own campaigns and tore mixed
    two-account communities out of both.)
    Sorted, so that node numbering (and Louvain's result) does not depend on input order.
    """
    con = duckdb.connect()
    con.register("links", links)
    con.register("candidates", pa.table({"account_id": pa.array(sorted(candidates), pa.string())}))
    con.register("absent", pa.table({"kind": pa.array(sorted(absent_kinds), pa.string())}))
    con.register("weights", pa.table({"kind": list(KIND_WEIGHTS), "prior": list(KIND_WEIGHTS.values())}))
    edges: pa.Table = con.sql(
        f"""WITH l AS (SELECT DISTINCT account_id, kind, value FROM links
                       WHERE kind NOT IN (SELECT kind FROM absent)),
                 sizes AS (SELECT kind, value, count(*) AS size,
                                  bool_or(account_id IN (SELECT account_id FROM candidates)) AS touches
                           FROM l GROUP BY kind, value),
                 networks AS (
                    SELECT ip.value, max(net.size) AS size
                    FROM l ip JOIN l sn ON sn.account_id = ip.account_id AND sn.kind = 'subnet'
                    JOIN sizes net ON net.kind = 'subnet' AND net.value = sn.value
                    WHERE ip.kind = 'client_ip' AND starts_with(ip.value, sn.value)
                    GROUP BY ip.value),
                 g AS (SELECT s.kind, s.value, s.size,
                              greatest(s.size, coalesce(n.size, 0)) AS crowd
                       FROM sizes s LEFT JOIN networks n ON s.kind = 'client_ip' AND n.value = s.value
                       WHERE s.size BETWEEN 2 AND {int(max_group)} AND s.touches)
            SELECT l.account_id, l.kind, l.value, w.prior / log2(1 + g.crowd) AS weight
            FROM l JOIN g USING (kind, value) JOIN weights w USING (kind)
            ORDER BY l.kind, l.value, l.account_id"""
    ).to_arrow_table()
    return edges


def link_communities(
    links: pa.Table, candidates: set[str], max_group: int, absent_kinds: set[str]
) -> Linkage:
    """Louvain communities (igraph's multilevel, fixed seed) of the account-value graph."""
    edges = _linking_edges(links, candidates, max_group, absent_kinds)
    if edges.num_rows == 0:
        return Linkage({}, [], [], [])
    accounts: list[str] = [str(a) for a in edges.column("account_id").to_pylist()]
    kinds: list[str] = [str(k) for k in edges.column("kind").to_pylist()]
    values: list[str] = [str(v) for v in edges.column("value").to_pylist()]
    account_ids = {a: i for i, a in enumerate(sorted(set(accounts)))}
    value_keys = list(dict.fromkeys(zip(kinds, values, strict=True)))
    value_ids = {k: len(account_ids) + i for i, k in enumerate(value_keys)}
    pairs = [(account_ids[a], value_ids[(k, v)]) for a, k, v in zip(accounts, kinds, values, strict=True)]
    graph = igraph.Graph(n=len(account_ids) + len(value_keys), edges=pairs)
    igraph.set_random_number_generator(random.Random(LOUVAIN_SEED))
    try:
        membership = graph.community_multilevel(weights=edges.column("weight").to_pylist()).membership
    finally:
        igraph.set_random_number_generator(random)  # igraph's default generator
    names = sorted(account_ids)
    blocks: dict[int, list[str]] = defaultdict(list)
    for account in names:
        blocks[membership[account_ids[account]]].append(account)
    kept = {b: members for b, members in blocks.items() if len(members) >= 2}
    order = sorted(kept, key=lambda b: kept[b][0])
    index = {b: i for i, b in enumerate(order)}
    shared: list[dict[str, int]] = [defaultdict(int) for _ in order]
    block_edges: list[list[tuple[str, str, str]]] = [[] for _ in order]
    # What a community's members share among themselves, whichever community the value's own
    # node joined: a proxy range two campaigns rent is evidence within each of them.
    per_value: dict[tuple[str, str, int], list[str]] = defaultdict(list)
    for a, k, v in zip(accounts, kinds, values, strict=True):
        per_value[(k, v, membership[account_ids[a]])].append(a)
    for (kind, value, block), linked in per_value.items():
        if block in index and len(linked) >= 2:
            shared[index[block]][kind] += 1
            block_edges[index[block]].extend((a, kind, value) for a in linked)
    communities = [kept[b] for b in order]
    community_of = {a: i for i, members in enumerate(communities) for a in members}
    return Linkage(community_of, communities, [dict(sorted(d.items())) for d in shared], block_edges)
