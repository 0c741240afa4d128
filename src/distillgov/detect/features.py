"""The passes over every exchange: per-account partial aggregates, written once in Ibis.

Each function returns an Ibis expression; the engine (DuckDB or Spark) runs it. The results are
*partials*: sums, counts, minima and maxima keyed by account and UTC day (or hour, or prompt),
which merge by addition/min/max. That one property gives three things at once: the full run,
the incremental run (`--state`: yesterday's partials + today's logs) and engine parity all go
through the same reduction (`reduce.py`), so none of them can drift from the others.

Only built-in expressions are used (no Python UDFs). Cost decides the shape of each query: the prompt
column holds most of the bytes (about 0.5 kB per exchange), so only two queries read it — the
replay aggregate, which reduces each prompt to a digest inside the engine, and the sample
fetch. Windows sort only narrow columns.
"""

from __future__ import annotations

from collections.abc import Callable

import ibis
import ibis.expr.types as ir

from distillgov.detect.parameters import SAMPLE_PER_ACCOUNT
from distillgov.traffic.signature import SIGNATURE_SIZE

_OK_STATUS = ("ok", "200", "success")


Digest = Callable[[ir.StringValue], ir.Value]


def prepare(t: ir.Table, digest: Digest) -> ir.Table:
    """Row-level derived columns shared by every aggregate (each engine computes only those it reads).

    `digest` turns a prompt into its replay key (`Engine.prompt_digest`): equal prompts must get
    equal keys; only the equality classes reach the findings.
    """
    # No array lambdas: DuckDB 2.0 rejects the `->` syntax Ibis 12 emits for them.
    minhash_key = ibis.literal(",").join([t.prompt_minhash[i].cast("string") for i in range(SIGNATURE_SIZE)])
    return t.mutate(
        day=t.timestamp.truncate("D"),
        minute=t.timestamp.truncate("m"),
        # whole seconds: DuckDB's epoch is fractional, Spark's is not; gaps must agree exactly
        epoch_s=t.timestamp.epoch_seconds().floor().cast("int64"),
        prompt_key=digest(ibis.coalesce(t.prompt, minhash_key)),
        continues=(t.turn_index > 0).cast("int64"),
        failed=(~t.status.lower().isin(_OK_STATUS)).cast("int64"),
    )


def account_day(t: ir.Table) -> ir.Table:
    """Per account and day: volume, output, requested length, turns, failures, inter-arrival gaps."""
    volume = t.group_by(["account_id", "day"]).aggregate(
        requests=t.count(),
        output_tokens=t.output_tokens.sum(),
        output_n=t.output_tokens.count(),
        max_tokens=t.max_tokens.sum(),
        max_tokens_n=t.max_tokens.count(),
        continues=t.continues.sum(),
        turn_n=t.turn_index.count(),
        failed=t.failed.sum(),
        status_n=t.status.count(),
        first_seen=t.timestamp.min(),
        last_seen=t.timestamp.max(),
    )
    gaps = _gaps(t)
    joined = volume.join(gaps, ["account_id", "day"], how="left")
    return joined.select(
        *[c for c in volume.columns if c not in ("first_seen", "last_seen")],
        gap_n=joined.gap_n.fill_null(0),
        gap_sum=joined.gap_sum.fill_null(0),
        gap_sumsq=joined.gap_sumsq.fill_null(0),
        first_seen=joined.first_seen,
        last_seen=joined.last_seen,
    )


def _gaps(t: ir.Table) -> ir.Table:
    """Inter-arrival gaps (whole seconds) per account and day, from a window over distinct seconds.

    Every request but an account's first has a gap to the one before it. Requests within one
    second have gap 0 between them, so ordering the (account, second) counts is enough: the
    first request of a second gets the distance to the previous second, the others 0. The
    window then sorts two narrow columns instead of whole exchanges.
    """
    seconds = t.group_by(["account_id", "day", "epoch_s"]).aggregate(n=t.count())
    previous = seconds.epoch_s.lag().over(ibis.window(group_by=seconds.account_id, order_by=seconds.epoch_s))
    seconds = seconds.mutate(gap=(seconds.epoch_s - previous).cast("float64"))
    first = seconds.gap.isnull().cast("int64")
    return seconds.group_by(["account_id", "day"]).aggregate(
        gap_n=(seconds.n - first).sum(),
        gap_sum=seconds.gap.sum(),
        gap_sumsq=(seconds.gap * seconds.gap).sum(),
    )


def account_hour(t: ir.Table) -> ir.Table:
    """Per account and clock hour: requests, output tokens and the busiest minute (concurrency)."""
    minutes = t.group_by(["account_id", "minute"]).aggregate(n=t.count(), output_tokens=t.output_tokens.sum())
    minutes = minutes.mutate(hour=minutes.minute.truncate("h"))
    return minutes.group_by(["account_id", "hour"]).aggregate(
        requests=minutes.n.sum(), output_tokens=minutes.output_tokens.sum(), peak_minute=minutes.n.max()
    )


def account_prompt(t: ir.Table) -> ir.Table:
    """Per account and prompt digest: how often and on which days (replay of a fixed set).

    `texts` counts the exchanges that carried prompt text (the rest carried only a MinHash), so
    that the prompt column's presence is known without another read of it.
    """
    t = t.filter(t.prompt_key.notnull())
    return t.group_by(["account_id", "prompt_key"]).aggregate(
        n=t.count(), texts=t.prompt.count(), first_day=t.day.min(), last_day=t.day.max()
    )


def account_replay(prompts: ir.Table) -> ir.Table:
    """Per account: exchanges with a prompt, those repeating a prompt sent on another day, texts.

    Applied to `account_prompt` inside the engine in a full run (only one row per account
    leaves it), or in-process to merged partials in an incremental run: one definition for both.
    """
    repeated = (prompts.first_day < prompts.last_day).ifelse(prompts.n, 0)
    return prompts.group_by("account_id").aggregate(
        keyed=prompts.n.sum(), replayed=repeated.sum(), texts=prompts.texts.sum()
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
    """A bounded, deterministic sample of each account's exchanges (its lowest request ids).

    Text classification (`classify.py`) and template families read this sample only: a share
    estimated from `per_account` prompts is as good as the account-level evidence needs
    (+-0.09 at 32). The ranking window sorts two narrow columns; prompts are read for the chosen
    rows only. Exchanges without a prompt stay in the sample (with null text), so that merging
    the samples of two batches gives exactly the sample of both.
    """
    ids = t.select("account_id", "request_id")
    rank = ibis.row_number().over(ibis.window(group_by=ids.account_id, order_by=ids.request_id))
    chosen = ids.mutate(rank=rank).filter(lambda r: r.rank < per_account).select("request_id")
    rows = t.semi_join(chosen, "request_id")
    return rows.select("account_id", "request_id", "timestamp", "prompt", "prompt_minhash")


# Columns whose presence the replay aggregate establishes as a by-product (see account_prompt).
COUNTED_ELSEWHERE = ("prompt",)


def column_presence(t: ir.Table, columns: tuple[str, ...]) -> ir.Table:
    """Non-null counts of the optional columns, to tell 'absent' from 'present but empty'."""
    return t.aggregate(rows=t.count(), **{c: t[c].count() for c in columns if c not in COUNTED_ELSEWHERE})
