"""The only pass over every exchange: per-account partial aggregates, written once in Ibis.

Each function returns an Ibis expression; the engine (DuckDB or Spark) runs it. The results are
*partials*: sums, counts, minima and maxima keyed by account and UTC day (or hour, or prompt),
which merge by addition/min/max. That one property gives three things at once: the full run,
the incremental run (`--state`: yesterday's partials + today's logs) and engine parity all go
through the same reduction (`reduce.py`), so none of them can drift from the others.

Only built-in expressions are used (no UDFs): regular expressions, truncation, windows.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from distillgov.detect.lexicon import CAPABILITY_AREAS, REASONING_ELICITATION
from distillgov.traffic.signature import SIGNATURE_SIZE

SAMPLE_PER_ACCOUNT = 32  # prompts per account kept for template families and evidence
_OK_STATUS = ("ok", "200", "success")


def prepare(t: ir.Table) -> ir.Table:
    """Row-level derived columns shared by every aggregate."""
    # No array lambdas: DuckDB 2.0 rejects the `->` syntax Ibis 12 emits for them.
    minhash_key = ibis.literal(",").join([t.prompt_minhash[i].cast("string") for i in range(SIGNATURE_SIZE)])
    return t.mutate(
        day=t.timestamp.truncate("D"),
        minute=t.timestamp.truncate("m"),
        # whole seconds: DuckDB's epoch is fractional, Spark's is not; gaps must agree exactly
        epoch_s=t.timestamp.epoch_seconds().floor().cast("float64"),
        prompt_key=ibis.coalesce(t.prompt, minhash_key),
        continues=(t.turn_index > 0).cast("int64"),
        failed=(~t.status.lower().isin(_OK_STATUS)).cast("int64"),
    )


def account_day(t: ir.Table) -> ir.Table:
    """Per account and day: volume, output, requested length, turns, elicitation, capability, gaps."""
    previous = t.epoch_s.lag().over(ibis.window(group_by=t.account_id, order_by=[t.timestamp, t.request_id]))
    t = t.mutate(gap_s=t.epoch_s - previous)
    return t.group_by(["account_id", "day"]).aggregate(
        requests=t.count(),
        output_tokens=t.output_tokens.sum(),
        output_n=t.output_tokens.count(),
        max_tokens=t.max_tokens.sum(),
        max_tokens_n=t.max_tokens.count(),
        continues=t.continues.sum(),
        turn_n=t.turn_index.count(),
        text_n=t.prompt_key.count(),
        failed=t.failed.sum(),
        status_n=t.status.count(),
        gap_n=t.gap_s.count(),
        gap_sum=t.gap_s.sum(),
        gap_sumsq=(t.gap_s * t.gap_s).sum(),
        first_seen=t.timestamp.min(),
        last_seen=t.timestamp.max(),
    )


def account_hour(t: ir.Table) -> ir.Table:
    """Per account and clock hour: requests, output tokens and the busiest minute (concurrency)."""
    minutes = t.group_by(["account_id", "minute"]).aggregate(n=t.count(), output_tokens=t.output_tokens.sum())
    minutes = minutes.mutate(hour=minutes.minute.truncate("h"))
    return minutes.group_by(["account_id", "hour"]).aggregate(
        requests=minutes.n.sum(), output_tokens=minutes.output_tokens.sum(), peak_minute=minutes.n.max()
    )


def account_prompt(t: ir.Table) -> ir.Table:
    """Per account and exact prompt: how often and on which days (replay of a fixed set)."""
    t = t.filter(t.prompt_key.notnull())
    return t.group_by(["account_id", "prompt_key"]).aggregate(
        n=t.count(), first_day=t.day.min(), last_day=t.day.max()
    )


# Identity attributes that can tie accounts together; value transforms in `_link_value`.
LINK_KINDS: tuple[str, ...] = (
    "payment_fingerprint",
    "api_key_id",
    "organization_id",
    "client_ip",
    "subnet",
    "user_agent",
    "created_hour",
)


def _subnet(ip: ir.StringValue) -> ir.StringValue:
    """The /24 of an IPv4 address, the /48 of an IPv6 one, the network part of a pseudonym."""
    v4 = ip.re_extract(r"^(\d+\.\d+\.\d+)\.\d+$", 1)
    v6 = ip.re_extract(r"^([0-9a-fA-F]*:[0-9a-fA-F]*:[0-9a-fA-F]*):", 1)
    pseudonym = ip.re_extract(r"^([0-9a-f]+)\.[0-9a-f]+$", 1)
    return ibis.coalesce(v4.nullif(""), v6.nullif(""), pseudonym.nullif(""))


def account_identities(t: ir.Table) -> ir.Table:
    """Distinct identity tuples per account, one column per link kind, in a single scan.

    `partials.unpivot_links` turns them into (account, kind, value) rows; seven separate
    DISTINCT queries would read the exchanges seven times.
    """
    raw = t.select(
        "account_id", "payment_fingerprint", "api_key_id", "organization_id", "client_ip", "user_agent",
        created=t.account_created_at,
    ).distinct()  # fmt: skip
    return raw.select(
        "account_id", "payment_fingerprint", "api_key_id", "organization_id", "client_ip", "user_agent",
        subnet=_subnet(raw.client_ip),
        created_hour=raw.created.truncate("h").epoch_seconds().cast("string"),
    )  # fmt: skip


def prompt_sample(t: ir.Table, per_account: int = SAMPLE_PER_ACCOUNT) -> ir.Table:
    """A bounded, deterministic sample of prompts per account (its lowest request ids).

    Text classification (elicitation, capability area) runs on this sample only: regular
    expressions over every prompt would dominate the run, and a share estimated from
    `per_account` prompts is as good as the account-level evidence needs (+-0.09 at 32).
    The ranking reads two narrow columns; the texts are fetched for the chosen ids only.
    """
    ids = t.filter(t.prompt_key.notnull()).select("account_id", "request_id")
    rank = ibis.row_number().over(ibis.window(group_by=ids.account_id, order_by=ids.request_id))
    chosen = ids.mutate(rank=rank).filter(lambda r: r.rank < per_account).select("request_id")
    rows = t.semi_join(chosen, "request_id")
    text = rows.prompt.lower()
    return rows.select(
        "account_id", "request_id", "timestamp", "prompt", "prompt_minhash",
        elicits=text.re_search(REASONING_ELICITATION).cast("int64"),
        **{f"cap_{a}": text.re_search(pattern).cast("int64") for a, pattern in CAPABILITY_AREAS.items()},
    )  # fmt: skip


def column_presence(t: ir.Table, columns: tuple[str, ...]) -> ir.Table:
    """Non-null counts of the optional columns, to tell 'absent' from 'present but empty'."""
    return t.aggregate(rows=t.count(), **{c: t[c].count() for c in columns})
