"""Campaign evidence: what a linked group of accounts does together that none of them does alone.

A low-and-slow swarm keeps every account at a person's pace, and a swarm harvesting short labels
or replaying chats has no per-account harvesting shape at all. Both are visible only in
aggregate: many accounts that pay with one instrument (or were created in one burst) without
declaring themselves one organization, whose pooled volume is beyond what one person's account
reaches. The evidence is judged per linkage community, and members inherit it:

    identity = strongest undeclared sharing in the community, against the same traffic's ceiling
               (how many accounts one payment instrument / API key / creation hour serves among
               accounts that declare no organization, each value counted once)
    pooled   = the unit's summed requests or output tokens per day on novel prompts (the
               validation defense) against one conversational account's high percentile
               (the *Compulife* comparison)
    campaign = min(identity, pooled)

An account inherits `campaign` only if it shares one of those specific values (card, key,
creation hour) with another undeclared member: an address shared with a carrier NAT or a
serverless exit pulls an account into a community but never makes it a member of the campaign.

*Declared* organizations (an `organization_id` held by several accounts: enterprise seats, a
lab) are exactly the legitimate shared-identity case: their sharing is on the record, so they
neither give nor receive campaign evidence (their accounts are still judged one by one). Without
an `organization_id` column no account is declared, and the findings say so.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from distillgov.detect.baselines import Baseline
from distillgov.detect.scoring import strength_of_ratio

SPECIFIC_KINDS = ("payment_fingerprint", "api_key_id")  # values whose sharing is a unit of evidence
UNIT_KINDS = SPECIFIC_KINDS
POOLED = ("requests_per_day", "output_tokens_per_day")  # summed over a unit's accounts


@dataclass
class CampaignEvidence:
    """Per-community evidence and each account's inherited share of it (aligned with features)."""

    inherited: np.ndarray  # per account: campaign strength it inherits (0 if none)
    declared: np.ndarray  # per account: belongs to a multi-account declared organization
    identity_baselines: dict[str, Baseline]
    unit_identity: np.ndarray  # per shared value (every card / key of undeclared accounts): identity strength
    unit_pooled: np.ndarray  # per shared value: pooled volume strength
    volume_percentile: float
    units: list[dict[str, Any]] = field(default_factory=list)  # evidence record of each unit with strength
    unit_of: dict[str, int] = field(default_factory=dict)  # account -> index of its strongest unit

    def record_for(self, account: str) -> dict[str, Any] | None:
        """The auditable signal record of the campaign evidence an account inherited, if any."""
        u = self.unit_of.get(account)
        if u is None:
            return None
        unit = self.units[u]
        baseline = self.identity_baselines[unit["kind"]]
        pooled = ", ".join(
            f"{v:,.0f} {name.replace('_per_day', '')}/day ({unit['pooled_ratio'][name]:,.1f}x one account's "
            f"{self.volume_percentile:g}th percentile)"
            for name, v in unit["pooled"].items()
        )
        return {
            "name": "campaign_evidence",
            "family": "campaign",
            "value": round(unit["strength"], 4),
            "baseline": baseline.as_dict(),
            "strength": round(unit["strength"], 4),
            "explanation": (
                f"one {unit['kind']} shared by {len(unit['accounts'])} accounts of no declared organization, "
                f"{len(unit['accounts']) / baseline.value:,.1f}x the {baseline.percentile:g}th percentile "
                f"({baseline.value:g}) of {baseline.reference} (identity strength "
                f"{unit['identity_strength']:.2f}); together, on novel prompts: {pooled} (pooled strength "
                f"{unit['pooled_strength']:.2f}); campaign strength = the weaker, {unit['strength']:.2f}"
            ),
        }


def declared_accounts(links: pa.Table, accounts: np.ndarray) -> np.ndarray:
    """Accounts whose organization id is shared with at least one other account."""
    con = duckdb.connect()
    con.register("links", links)
    rows = con.sql(
        """WITH o AS (SELECT DISTINCT account_id, value FROM links WHERE kind = 'organization_id'),
                big AS (SELECT value FROM o GROUP BY value HAVING count(*) >= 2)
           SELECT DISTINCT account_id FROM o WHERE value IN (SELECT value FROM big)"""
    ).fetchall()
    members = {r[0] for r in rows}
    return np.asarray([a in members for a in accounts.tolist()], dtype=bool)


def identity_baselines(
    links: pa.Table, undeclared: set[str], percentile: float, absent_kinds: set[str]
) -> dict[str, Baseline]:
    """How many undeclared accounts one value of each specific kind serves, at its high percentile.

    Counted over values (each card once), not over accounts: a campaign card shared by 15
    accounts is one observation, so a campaign cannot drag the ceiling up to its own size.
    """
    con = duckdb.connect()
    con.register("links", links)
    con.register("u", pa.table({"account_id": pa.array(sorted(undeclared), pa.string())}))
    out: dict[str, Baseline] = {}
    for kind in SPECIFIC_KINDS:
        if kind in absent_kinds:
            continue
        sizes = np.asarray(
            [
                r[0]
                for r in con.execute(
                    """SELECT count(DISTINCT account_id) FROM links
                       WHERE kind = ? AND account_id IN (SELECT account_id FROM u) GROUP BY value""",
                    [kind],
                ).fetchall()
            ],
            dtype=np.float64,
        )
        if len(sizes) == 0:
            continue
        value, method = robust_count_ceiling(sizes, percentile)
        out[kind] = Baseline(
            value,
            percentile,
            f"{kind} values held by accounts of no declared organization (each value once)",
            len(sizes),
            method,
        )
    return out


def robust_count_ceiling(sizes: np.ndarray, percentile: float) -> tuple[float, str]:
    """The high percentile of how many accounts share one value, read off a geometric fit of the bulk.

    Benign sharing decays fast (a card alone, a couple, rarely a household of three); campaigns
    add a second mode of many accounts per card. Where campaign cards are more than (1 -
    percentile) of all cards (a scenario dominated by one operator's hundreds of cards), the
    empirical percentile lands inside that mode and hides it. The ratio of values held by two
    accounts to values held by one is set by the benign bulk; the geometric law it implies,
    P(size > k) = r^k, gives the ceiling. Falls back to the empirical percentile where there
    are no pairs to fit (every value held once: an API key per account).
    """
    ones, twos = float(np.sum(sizes == 1)), float(np.sum(sizes == 2))
    if ones == 0 or twos == 0 or twos >= ones:
        return float(np.percentile(sizes, percentile)), "empirical"
    ratio = twos / ones
    tail = 1.0 - percentile / 100.0
    return float(max(1, int(np.ceil(np.log(tail) / np.log(ratio))))), "geometric fit of sizes 1 and 2"


def campaign_evidence(
    features: dict[str, np.ndarray],
    links: pa.Table,
    discount: np.ndarray,
    assessed: np.ndarray,
    volume_baselines: dict[str, Baseline],
    percentile: float,
    saturation: float,
    absent_kinds: set[str],
) -> CampaignEvidence:
    """Score each shared payment instrument / API key as a unit and pass its strength to its holders."""
    accounts = features["account_id"]
    n = len(accounts)
    declared = (
        np.zeros(n, dtype=bool) if "organization_id" in absent_kinds else declared_accounts(links, accounts)
    )
    undeclared = set(accounts[~declared].tolist())
    baselines = identity_baselines(links, undeclared, percentile, absent_kinds)
    inherited = np.zeros(n)
    records: list[dict[str, Any]] = []
    unit_of: dict[str, int] = {}
    identity_all: list[np.ndarray] = []
    pooled_all: list[np.ndarray] = []
    con = duckdb.connect()
    con.register("links", links)
    pooled_names = [name for name in POOLED if name in volume_baselines]
    # novel volume only (the validation defense): replayed prompts yield no new training data
    volumes = {name: np.nan_to_num(features[name]) * discount for name in pooled_names}
    con.register(
        "acct",
        pa.table(
            {
                "account_id": pa.array(accounts.tolist(), pa.string()),
                "i": np.arange(n),
                "undeclared": ~declared,
                **volumes,
            }
        ),
    )
    sums = ", ".join(f"sum(a.{name}) AS {name}" for name in pooled_names)
    for kind, baseline in sorted(baselines.items()):
        if not np.isfinite(baseline.value):
            continue
        units: pa.Table = con.sql(  # kind is one of SPECIFIC_KINDS, never input
            f"""SELECT l.value, list(a.i ORDER BY a.i) AS members, {sums}
                FROM (SELECT DISTINCT account_id, value FROM links WHERE kind = '{kind}') l
                JOIN acct a USING (account_id) WHERE a.undeclared
                GROUP BY l.value ORDER BY l.value"""
        ).to_arrow_table()
        if units.num_rows == 0:
            continue
        sizes = np.asarray(pc.list_value_length(units.column("members")), dtype=np.float64)
        identity = strength_of_ratio(sizes, baseline.value, saturation)
        pooled = np.max(
            np.stack(
                [
                    strength_of_ratio(
                        np.asarray(units.column(name).to_numpy(zero_copy_only=False), dtype=np.float64),
                        volume_baselines[name].value,
                        saturation,
                    )
                    for name in pooled_names
                ]
            ),
            axis=0,
        )
        identity_all.append(identity)
        pooled_all.append(pooled)
        members = units.column("members").to_pylist()
        values = units.column("value").to_pylist()
        for u in np.flatnonzero((identity > 0) & (pooled > 0)).tolist():
            idx = np.asarray(members[u], dtype=np.int64)
            replay_discount = float(np.mean(discount[idx]))
            strength = min(float(identity[u]), float(pooled[u]))
            heirs = idx[assessed[idx]]
            for i in heirs.tolist():
                if strength > inherited[i]:
                    unit_of[str(accounts[i])] = len(records)
            inherited[heirs] = np.maximum(inherited[heirs], strength)
            records.append(
                {
                    "kind": kind,
                    "value": str(values[u]),
                    "accounts": [str(accounts[i]) for i in idx],
                    "identity_strength": float(identity[u]),
                    "pooled": {name: float(units.column(name)[u].as_py()) for name in pooled_names},
                    "pooled_strength": float(pooled[u]),
                    "pooled_ratio": {
                        name: float(units.column(name)[u].as_py()) / volume_baselines[name].value
                        for name in pooled_names
                    },
                    "discount": replay_discount,
                    "strength": strength,
                }
            )
    unit_identity = np.concatenate(identity_all) if identity_all else np.zeros(0)
    unit_pooled = np.concatenate(pooled_all) if pooled_all else np.zeros(0)
    volume_percentile = next(iter(volume_baselines.values())).percentile if volume_baselines else percentile
    return CampaignEvidence(
        inherited, declared, baselines, unit_identity, unit_pooled, volume_percentile, records, unit_of
    )
