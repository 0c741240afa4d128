"""Disk I/O: staging parts, the out-of-core sort by time, and the output formats.

Rows are generated account block by account block, so they leave generation unsorted. Each
block is written as a narrow Parquet part (integers only); DuckDB sorts all parts by time in
one pass under a memory limit, spilling to a temp directory, and the sorted narrow file is then
streamed back in batches for rendering. Parquet output goes through pyarrow so the file keeps
the contract's exact schema and field metadata; text formats go through DuckDB's COPY, which
writes JSON lines and CSV, gzip- or zstd-compressed, quickly and in order.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq


@dataclass(frozen=True)
class OutputFormat:
    name: str
    text: bool
    copy_options: str  # DuckDB COPY options (text formats)


FORMATS: dict[str, OutputFormat] = {
    f.name: f
    for f in (
        OutputFormat("parquet", text=False, copy_options=""),
        OutputFormat("jsonl", text=True, copy_options="FORMAT JSON"),
        OutputFormat("jsonl.gz", text=True, copy_options="FORMAT JSON, COMPRESSION 'gzip'"),
        OutputFormat("jsonl.zst", text=True, copy_options="FORMAT JSON, COMPRESSION 'zstd'"),
        OutputFormat("csv", text=True, copy_options="FORMAT CSV, HEADER true"),
    )
}


def connect(temp_dir: Path, memory_limit: str, threads: int | None) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection that spills to `temp_dir` instead of growing past `memory_limit`."""
    temp_dir.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(config={"memory_limit": memory_limit, "temp_directory": str(temp_dir)})
    if threads:
        con.execute(f"SET threads = {int(threads)}")
    con.execute("SET preserve_insertion_order = true")
    return con


def write_part(table: pa.Table, path: Path) -> None:
    pq.write_table(table, path, compression="lz4")


def sort_parts(con: duckdb.DuckDBPyConnection, parts: list[Path], target: Path, batch_rows: int) -> None:
    """One ORDER BY over every staging part; `uid` breaks ties so the order is total (determinism)."""
    files = ", ".join(f"'{p.as_posix()}'" for p in parts)
    con.execute(
        f"COPY (SELECT * FROM read_parquet([{files}]) ORDER BY ts, uid) TO '{target.as_posix()}' "
        f"(FORMAT PARQUET, COMPRESSION 'lz4', ROW_GROUP_SIZE {int(batch_rows)})"
    )


def sorted_batches(path: Path, batch_rows: int) -> Iterator[pa.RecordBatch]:
    yield from pq.ParquetFile(path).iter_batches(batch_size=batch_rows)


def write_file(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    fmt: OutputFormat,
    schema: pa.Schema,
    batches: Iterator[pa.RecordBatch],
) -> None:
    """Stream batches into one output file of the given format."""
    if not fmt.text:
        with pq.ParquetWriter(path, schema, compression="zstd") as writer:
            for batch in batches:
                writer.write_batch(batch)
        return
    reader = pa.RecordBatchReader.from_batches(schema, batches)
    con.register("exchanges_stream", reader)
    try:
        con.execute(f"COPY (SELECT * FROM exchanges_stream) TO '{path.as_posix()}' ({fmt.copy_options})")
    finally:
        con.unregister("exchanges_stream")
