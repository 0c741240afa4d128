"""Exact duplicate `request_id` removal after an ingest has been staged.

Counting a request twice inflates the volume evidence, so a `request_id` may appear once in a
store. The first occurrence wins: rows already in the store win over new ones, and within a run
the order is the order of the inputs and of rows within them. Later occurrences are moved to
the quarantine with where the first one was seen.

Checking while writing would need every id of the run in memory. Instead the staged files are
checked afterwards with one DuckDB aggregation over the `request_id` column only, which spills
to disk past its memory limit and is exact; in the common case of no duplicates that is all it
costs. Only staged files that do hold a duplicate are rewritten, batch by batch.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from distillgov.traffic.quarantine import QuarantineWriter, Reason

_MEMORY_LIMIT = "512MB"


def _file_list(paths: list[Path]) -> str:
    return "[" + ", ".join("'" + str(p).replace("'", "''") + "'" for p in paths) + "]"


@dataclass(frozen=True)
class Duplicate:
    """A staged row to remove, and where the kept occurrence is."""

    staged_file: str
    source_file: str
    source_row: int
    first_file: str
    first_row: int


def _repeated_ids(con: duckdb.DuckDBPyConnection, new: str, old: str | None) -> pa.Table:
    """Request ids that occur twice among the new rows or also among the old: one column read."""
    within = f"SELECT request_id FROM {new} AS n GROUP BY request_id HAVING count(*) > 1"
    if old is not None:
        within += f" UNION SELECT request_id FROM {new} AS n SEMI JOIN {old} AS o USING (request_id)"
    return con.sql(within).to_arrow_table()  # type: ignore[no-any-return]


def find_duplicates(
    staged: list[Path], existing: list[Path], input_order: list[str], scratch: Path
) -> list[Duplicate]:
    """Staged rows whose request_id occurred earlier (in the store, or earlier in this run)."""
    if not staged:
        return []
    scratch.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    con.execute(f"SET memory_limit = '{_MEMORY_LIMIT}'")
    con.execute(f"SET temp_directory = '{str(scratch).replace(chr(39), chr(39) * 2)}'")
    con.execute("SET preserve_insertion_order = false")
    new = f"read_parquet({_file_list(staged)}, filename = true)"
    old = f"read_parquet({_file_list(existing)})" if existing else None
    repeated = _repeated_ids(con, new, old)
    if repeated.num_rows == 0:  # the common case costs one pass over one column
        con.close()
        return []
    con.register("repeated_", repeated)
    con.register(
        "input_order_", pa.table({"source_file": input_order, "input_rank": range(len(input_order))})
    )
    old_occurrences = (
        "UNION ALL SELECT request_id, source_file, source_row, NULL, 0, 0 "
        f"FROM {old} AS o SEMI JOIN repeated_ USING (request_id)"
        if old is not None
        else ""
    )
    statement = f"""
        WITH occurrences AS (
            SELECT n.request_id, n.source_file, n.source_row, n.filename, 1 AS is_new, o.input_rank
            FROM {new} n JOIN input_order_ o USING (source_file) SEMI JOIN repeated_ USING (request_id)
            {old_occurrences}
        )
        SELECT filename, source_file, source_row,
               first_value(source_file) OVER w AS first_file, first_value(source_row) OVER w AS first_row,
               row_number() OVER w AS occurrence, is_new
        FROM occurrences
        WINDOW w AS (PARTITION BY request_id ORDER BY is_new, input_rank, source_row)
        QUALIFY occurrence > 1 AND is_new = 1
    """
    rows = con.execute(statement).fetchall()
    con.close()
    return [Duplicate(r[0], r[1], int(r[2]), r[3], int(r[4])) for r in rows]


def _removed_mask(batch: pa.RecordBatch, losers: dict[str, np.ndarray[Any, Any]]) -> pa.Array[Any]:
    """Rows of the batch whose (source_file, source_row) is listed in `losers`."""
    files = np.asarray(batch.column("source_file").to_numpy(zero_copy_only=False))
    rows = np.asarray(batch.column("source_row").to_numpy(zero_copy_only=False))
    mask = np.zeros(batch.num_rows, dtype=np.bool_)
    for source_file, source_rows in losers.items():
        mask |= (files == source_file) & np.isin(rows, source_rows)
    return pa.array(mask)


def _row_json(table: pa.Table) -> Iterator[str]:
    for row in table.to_pylist():
        yield json.dumps(row, default=str, ensure_ascii=False)


def remove_duplicates(duplicates: list[Duplicate], quarantine: QuarantineWriter) -> int:
    """Rewrite the staged files that hold duplicates without them; quarantine what was removed."""
    by_file: dict[str, list[Duplicate]] = {}
    for duplicate in duplicates:
        by_file.setdefault(duplicate.staged_file, []).append(duplicate)
    first_seen = {(d.source_file, d.source_row): f"{d.first_file}:{d.first_row}" for d in duplicates}
    removed = 0
    for staged_file, found in by_file.items():
        losers: dict[str, list[int]] = {}
        for d in found:
            losers.setdefault(d.source_file, []).append(d.source_row)
        arrays = {f: np.array(r, dtype=np.int64) for f, r in losers.items()}
        path = Path(staged_file)
        rewritten = path.with_suffix(".dedup")
        source = pq.ParquetFile(path)
        with pq.ParquetWriter(rewritten, source.schema_arrow, compression="zstd") as writer:
            for batch in source.iter_batches():
                mask = _removed_mask(batch, arrays)
                kept = batch.filter(pc.invert(mask))
                if kept.num_rows:
                    writer.write_batch(kept)
                gone = pa.Table.from_batches([batch.filter(mask)])
                if gone.num_rows:
                    removed += gone.num_rows
                    _quarantine(gone, first_seen, quarantine)
        source.close()
        rewritten.replace(path)
    return removed


def _quarantine(gone: pa.Table, first_seen: dict[tuple[str, int], str], quarantine: QuarantineWriter) -> None:
    files = [str(f) for f in gone.column("source_file").to_pylist()]
    rows = [int(r) for r in gone.column("source_row").to_pylist() if r is not None]
    ids = gone.column("request_id").to_pylist()
    for source_file in sorted(set(files)):
        picked = [i for i, f in enumerate(files) if f == source_file]
        subset = gone.take(pa.array(picked, pa.int64()))
        quarantine.write_table(
            source_file,
            pa.table(
                {
                    "source_row": pa.array([rows[i] for i in picked], pa.int64()),
                    "reason": pa.array([Reason.DUPLICATE_REQUEST_ID.value] * len(picked), pa.string()),
                    "field": pa.array(["request_id"] * len(picked), pa.string()),
                    "detail": pa.array(
                        [
                            f"request_id {ids[i]!r} first seen at {first_seen[(files[i], rows[i])]}"
                            for i in picked
                        ],
                        pa.string(),
                    ),
                    "raw": pa.array(list(_row_json(subset)), pa.string()),
                }
            ),
        )
