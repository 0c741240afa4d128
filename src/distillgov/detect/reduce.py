"""From partial aggregates to one row of features per account (the values signals are read from).

Runs in-process on Arrow tables (DuckDB over Arrow), whichever engine produced the partials,
so that full, incremental, DuckDB and Spark runs share this step exactly.
"""

from __future__ import annotations

from typing import Any

import duckdb
import numpy as np
import pyarrow as pa

from distillgov.detect.lexicon import CAPABILITY_AREAS
from distillgov.detect.partials import Partials

MIN_GAPS_FOR_REGULARITY = 20  # a coefficient of variation from fewer gaps is mostly noise

_FEATURES_SQL = f"""
WITH d AS (
  SELECT account_id, sum(requests) AS requests, count(*) AS active_days,
         sum(output_tokens) AS output_tokens, sum(output_n) AS output_n,
         sum(max_tokens) AS max_tokens, sum(max_tokens_n) AS max_tokens_n,
         sum(continues) AS continues, sum(turn_n) AS turn_n,
         sum(failed) AS failed, sum(status_n) AS status_n,
         sum(gap_n) AS gap_n, sum(gap_sum) AS gap_sum, sum(gap_sumsq) AS gap_sumsq,
         min(first_seen) AS first_seen, max(last_seen) AS last_seen
  FROM day GROUP BY account_id),
h AS (
  SELECT account_id, count(*) AS hours_active, count(DISTINCT hour(hour)) AS clock_hours,
         max(requests) AS peak_hour, max(peak_minute) AS peak_minute
  FROM hour GROUP BY account_id),
p AS (SELECT account_id, keyed AS text_n, replayed FROM replay),
s AS (
  SELECT account_id, count(*) AS sampled, avg(elicits) AS elicitation_share,
         {", ".join(f"sum(cap_{a}) AS cap_{a}" for a in CAPABILITY_AREAS)},
         sum(CASE WHEN {" + ".join(f"cap_{a}" for a in CAPABILITY_AREAS)} = 0 THEN 1 ELSE 0 END) AS cap_other
  FROM sample GROUP BY account_id)
SELECT d.*, h.* EXCLUDE (account_id), p.* EXCLUDE (account_id), s.* EXCLUDE (account_id)
FROM d LEFT JOIN h USING (account_id) LEFT JOIN p USING (account_id) LEFT JOIN s USING (account_id)
ORDER BY account_id
"""


def account_features(partials: Partials) -> dict[str, np.ndarray]:
    """Columns of per-account features (NaN where the inputs to a feature are missing)."""
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    for name in ("day", "hour", "replay", "sample"):
        con.register(name, partials.table(name))
    table: pa.Table = con.sql(_FEATURES_SQL).to_arrow_table()
    cols = {name: _floats(table.column(name)) for name in table.column_names if name not in _NON_NUMERIC}
    out: dict[str, np.ndarray] = {
        "account_id": np.asarray(table.column("account_id").to_pylist(), dtype=object),
        # UTC instants as datetime64 (no Python datetime per account; `records.iso` formats them)
        "first_seen": _instants(table.column("first_seen")),
        "last_seen": _instants(table.column("last_seen")),
        **cols,
    }
    with np.errstate(divide="ignore", invalid="ignore"):
        days, hours = cols["active_days"], cols["hours_active"]
        out["requests_per_day"] = cols["requests"] / days
        out["output_tokens_per_day"] = np.where(cols["output_n"] > 0, cols["output_tokens"] / days, np.nan)
        out["requests_per_active_hour"] = cols["requests"] / hours
        out["hours_active_per_day"] = hours / days
        out["clock_hours"] = cols["clock_hours"]
        out["peak_requests_per_minute"] = cols["peak_minute"]
        mean_gap = cols["gap_sum"] / cols["gap_n"]
        variance = np.maximum(cols["gap_sumsq"] / cols["gap_n"] - mean_gap**2, 0.0)
        regular = np.where(cols["gap_n"] >= MIN_GAPS_FOR_REGULARITY, mean_gap / np.sqrt(variance), np.nan)
        out["arrival_regularity"] = np.where(np.isfinite(regular), regular, np.nan)
        out["mean_output_tokens"] = np.where(
            cols["output_n"] > 0, cols["output_tokens"] / cols["output_n"], np.nan
        )
        out["mean_max_tokens"] = np.where(
            cols["max_tokens_n"] > 0, cols["max_tokens"] / cols["max_tokens_n"], np.nan
        )
        out["single_turn_share"] = np.where(
            cols["turn_n"] > 0, 1.0 - cols["continues"] / cols["turn_n"], np.nan
        )
        out["replay_share"] = np.where(cols["text_n"] > 0, cols["replayed"] / cols["text_n"], np.nan)
        out["capability_breadth"] = _effective_areas(cols)
    return out


_NON_NUMERIC = ("account_id", "first_seen", "last_seen")


def _instants(column: pa.ChunkedArray[Any]) -> np.ndarray:
    return np.asarray(column.cast(pa.timestamp("us")).to_numpy(zero_copy_only=False), dtype="datetime64[us]")


def _floats(column: pa.ChunkedArray[Any]) -> np.ndarray:
    return np.asarray(column.cast(pa.float64()).to_numpy(zero_copy_only=False), dtype=np.float64)


def _effective_areas(cols: dict[str, np.ndarray]) -> np.ndarray:
    """exp(entropy) of the capability mix of the sampled prompts: 1 = one area, 4 = all evenly."""
    names = [f"cap_{a}" for a in CAPABILITY_AREAS] + ["cap_other"]
    counts = np.nan_to_num(np.stack([cols[n] for n in names], axis=1))
    total = counts.sum(axis=1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = counts / total
        entropy = -np.nansum(np.where(share > 0, share * np.log(share), 0.0), axis=1)
    return np.where(total[:, 0] > 0, np.exp(entropy), np.nan)
