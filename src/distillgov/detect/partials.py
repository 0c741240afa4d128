"""Partial aggregates: what the engine returns, what `--state` keeps, and how two of them merge.

A `Partials` holds the tables of `features.py` as Arrow tables. Full runs compute them in one
go; incremental runs merge the stored ones with those of the new logs (`merge`), which is exact
because every column is a sum, count, minimum or maximum keyed by account and day, hour or
prompt digest. The per-account feature table is then derived from merged partials (`reduce.py`).

The per-prompt table (one row per account and distinct prompt: ~9 million rows for a 10-million
exchange week) is needed only to merge later batches. A full run therefore lets the engine
reduce it to one row per account (`features.account_replay`) and never transfers it; an
incremental run keeps it and applies the same reduction in-process after merging.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import duckdb
import ibis
import pyarrow as pa
import pyarrow.compute as pc

from distillgov.detect import features
from distillgov.detect.classify import classify
from distillgov.detect.engines import OPTIONAL_COLUMNS, Engine, Source
from distillgov.detect.parameters import SAMPLE_PER_ACCOUNT

TABLES = ("day", "hour", "prompt", "links", "sample")  # what a state folder stores


@dataclass
class Partials:
    """Per-account partial aggregates as Arrow tables, plus non-null counts of optional columns."""

    day: pa.Table
    hour: pa.Table
    replay: pa.Table  # per account: keyed, replayed, texts (features.account_replay)
    links: pa.Table
    sample: pa.Table
    presence: dict[str, int]
    prompt: pa.Table | None = None  # per account and prompt digest; kept only where batches merge

    def table(self, name: str) -> pa.Table:
        table: pa.Table | None = getattr(self, name)
        if table is None:
            raise ValueError(f"these partials hold no {name!r} table (computed without keep_prompts)")
        return table


def _canonical(table: pa.Table) -> pa.Table:
    """Engine-neutral column types: every timestamp as UTC microseconds (Spark returns them naive)."""
    utc = pa.timestamp("us", tz="UTC")
    fields = [pa.field(f.name, utc) if pa.types.is_timestamp(f.type) else f for f in table.schema]
    return table.cast(pa.schema(fields))


def replay_of(prompt: pa.Table) -> pa.Table:
    """`features.account_replay` applied in-process to a per-prompt table (incremental runs)."""
    local = ibis.duckdb.connect()
    replayed: pa.Table = local.to_pyarrow(features.account_replay(ibis.memtable(prompt)))
    return _canonical(replayed)


def unpivot_links(identities: pa.Table) -> pa.Table:
    """(account, kind, value) rows from identity tuples; empty values link nothing."""
    con = duckdb.connect()
    con.register("ids", identities)
    kinds = ", ".join(features.LINK_KINDS)
    links: pa.Table = con.sql(
        f"""SELECT DISTINCT account_id, kind, value
            FROM (UNPIVOT (SELECT account_id, {kinds} FROM ids) ON {kinds} INTO NAME kind VALUE value)
            WHERE value IS NOT NULL AND value <> ''
            ORDER BY account_id, kind, value"""
    ).to_arrow_table()
    return links


def compute(
    engine: Engine,
    source: Source,
    sample_per_account: int = SAMPLE_PER_ACCOUNT,
    progress: Callable[[str], None] | None = None,
    *,
    keep_prompts: bool = False,
) -> Partials:
    """Run every aggregate of `features.py` on the engine, reporting each step.

    `keep_prompts` returns the per-prompt table too (for `--state`); otherwise only its
    per-account reduction leaves the engine.
    """
    report = progress or (lambda _step: None)
    rows = features.prepare(source.table, engine.prompt_digest(stable=keep_prompts))
    report("column presence")
    counts = engine.to_arrow(features.column_presence(rows, OPTIONAL_COLUMNS)).to_pylist()[0]
    report("per account and day")
    day = _canonical(engine.to_arrow(features.account_day(rows)))
    report("per account and hour")
    hour = _canonical(engine.to_arrow(features.account_hour(rows)))
    report("per account and prompt")
    prompt_expr = features.account_prompt(rows)
    prompt = _canonical(engine.to_arrow(prompt_expr)) if keep_prompts else None
    replay = (
        replay_of(prompt) if prompt is not None else engine.to_arrow(features.account_replay(prompt_expr))
    )
    report("identities")
    links = unpivot_links(engine.to_arrow(features.account_identities(rows)))
    report("prompt samples")
    sample = classify(
        _canonical(engine.to_arrow(features.prompt_sample(rows, sample_per_account))), engine.threads
    )
    presence = {k: int(v or 0) for k, v in counts.items()}
    presence["prompt"] = int(pc.sum(replay.column("texts")).as_py() or 0)
    return Partials(
        day=day, hour=hour, replay=replay, links=links, sample=sample, presence=presence, prompt=prompt
    )


_MERGE_SQL = {
    "day": """SELECT account_id, day, sum(requests) AS requests, sum(output_tokens) AS output_tokens,
                sum(output_n) AS output_n, sum(max_tokens) AS max_tokens, sum(max_tokens_n) AS max_tokens_n,
                sum(continues) AS continues, sum(turn_n) AS turn_n,
                sum(failed) AS failed, sum(status_n) AS status_n, sum(gap_n) AS gap_n,
                sum(gap_sum) AS gap_sum, sum(gap_sumsq) AS gap_sumsq,
                min(first_seen) AS first_seen, max(last_seen) AS last_seen
              FROM u GROUP BY ALL""",
    "hour": """SELECT account_id, hour, sum(requests) AS requests, sum(output_tokens) AS output_tokens,
                 max(peak_minute) AS peak_minute FROM u GROUP BY ALL""",
    "prompt": """SELECT account_id, prompt_key, sum(n) AS n, sum(texts) AS texts, min(first_day) AS first_day,
                   max(last_day) AS last_day FROM u GROUP BY ALL""",
    "links": "SELECT DISTINCT account_id, kind, value FROM u",
}


def _bridging_gaps(con: duckdb.DuckDBPyConnection, old: pa.Table, new: pa.Table) -> pa.Table:
    """The inter-arrival gap between an account's last old and first new request.

    A full run sees that gap (its window runs over all of an account's requests); separate
    batches do not, so the merge adds it as a row holding only that gap, on the new batch's
    first day. Exact when batches arrive in time order, as daily logs do.
    """
    con.register("old_day", old)
    con.register("new_day", new)
    gaps: pa.Table = con.sql(
        """WITH o AS (SELECT account_id, max(last_seen) AS last FROM old_day GROUP BY account_id),
                n AS (SELECT account_id, min(first_seen) AS first FROM new_day GROUP BY account_id),
                g AS (SELECT account_id, date_trunc('day', first) AS day,
                             floor(epoch(first)) - floor(epoch(last)) AS gap
                      FROM o JOIN n USING (account_id) WHERE first > last)
           SELECT account_id, day, 0 AS requests, 0 AS output_tokens, 0 AS output_n, 0 AS max_tokens,
                  0 AS max_tokens_n, 0 AS continues, 0 AS turn_n, 0 AS failed, 0 AS status_n,
                  1 AS gap_n, gap AS gap_sum, gap * gap AS gap_sumsq,
                  NULL::TIMESTAMPTZ AS first_seen, NULL::TIMESTAMPTZ AS last_seen
           FROM g"""
    ).to_arrow_table()
    con.unregister("old_day")
    con.unregister("new_day")
    return gaps.select(new.column_names)


def merge(old: Partials, new: Partials, sample_per_account: int = SAMPLE_PER_ACCOUNT) -> Partials:
    """The partials of old and new exchanges together, as if computed in one run."""
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    merged: dict[str, pa.Table] = {}
    for name in TABLES:
        u = pa.concat_tables([old.table(name), new.table(name).cast(old.table(name).schema)])
        if name == "day":
            u = pa.concat_tables([u, _bridging_gaps(con, old.day, new.day).cast(u.schema)])
        con.register("u", u)
        if name == "sample":
            sql = f"""SELECT * EXCLUDE (r) FROM (SELECT *, row_number() OVER (
                        PARTITION BY account_id ORDER BY request_id) AS r FROM (SELECT DISTINCT * FROM u))
                      WHERE r <= {int(sample_per_account)}"""
        else:
            sql = _MERGE_SQL[name]
        merged[name] = con.sql(sql).to_arrow_table().cast(old.table(name).schema)
        con.unregister("u")
    presence = {k: old.presence.get(k, 0) + new.presence.get(k, 0) for k in {*old.presence, *new.presence}}
    return Partials(**merged, replay=replay_of(merged["prompt"]), presence=presence)
