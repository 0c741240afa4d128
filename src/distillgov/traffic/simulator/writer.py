"""Disk I/O: staging parts, the out-of-core sort by time, and the output formats.

Rows are generated account block by account block, so they leave generation unsorted. Each
block is written as a narrow Parquet part (integers only); DuckDB sorts all parts by time in
one pass under a memory limit, spilling to a temp directory, and the sorted narrow file is then
streamed back in batches for rendering.

Parquet output goes through pyarrow so the file keeps the contract's exact schema and field
metadata. CSV goes through DuckDB's COPY. JSON lines are encoded by DuckDB (`to_json`, the
encoder COPY uses) batch by batch and compressed here: DuckDB's own gzip and zstd run on one
core at a high level (gzip about 10 MB/s on the development machine), whereas zstd's
multi-threaded mode and gzip members compressed in parallel (as pigz does) keep up with
rendering. Concatenated gzip members are one valid gzip stream for every common reader.
"""

from __future__ import annotations

import os
import zlib
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import BinaryIO

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import zstandard

from distillgov.traffic.simulator.arrowops import join

GZIP_LEVEL = 1  # ~3.5x faster than -6 here for ~20% larger files; this is test data, not an archive
ZSTD_LEVEL = 3
_GZIP_MEMBER_BYTES = 8 << 20
_TEXT_ROWS = 16_384


@dataclass(frozen=True)
class OutputFormat:
    name: str
    encoding: str  # parquet | json | csv
    compression: str | None = None  # gzip | zstd

    @property
    def text(self) -> bool:
        return self.encoding != "parquet"


FORMATS: dict[str, OutputFormat] = {
    f.name: f
    for f in (
        OutputFormat("parquet", "parquet"),
        OutputFormat("jsonl", "json"),
        OutputFormat("jsonl.gz", "json", "gzip"),
        OutputFormat("jsonl.zst", "json", "zstd"),
        OutputFormat("csv", "csv"),
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


class ParallelGzip:
    """gzip output compressed in independent members on a thread pool; order is preserved."""

    def __init__(self, target: BinaryIO, level: int = GZIP_LEVEL) -> None:
        self._target, self._level = target, level
        self._workers = os.cpu_count() or 1
        self._pool = ThreadPoolExecutor(max_workers=self._workers)
        self._pending: deque[Future[bytes]] = deque()
        self._buffer = bytearray()

    def _member(self, data: bytes) -> bytes:
        compressor = zlib.compressobj(self._level, zlib.DEFLATED, 31)  # 31: gzip header, mtime 0
        return compressor.compress(data) + compressor.flush()

    def _submit(self) -> None:
        self._pending.append(self._pool.submit(self._member, bytes(self._buffer)))
        self._buffer.clear()
        while len(self._pending) > 2 * self._workers:  # bounded memory: at most a few members in flight
            self._target.write(self._pending.popleft().result())

    def write(self, data: bytes, /) -> int:
        view = memoryview(data)
        while view:  # fixed-size members keep the work even and the memory in flight small
            room = _GZIP_MEMBER_BYTES - len(self._buffer)
            self._buffer += view[:room]
            view = view[room:]
            if len(self._buffer) >= _GZIP_MEMBER_BYTES:
                self._submit()
        return len(data)

    def __enter__(self) -> ParallelGzip:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        if self._buffer or not self._pending:
            self._submit()
        while self._pending:
            self._target.write(self._pending.popleft().result())
        self._pool.shutdown()


def _json_lines(con: duckdb.DuckDBPyConnection, batch: pa.RecordBatch) -> bytes:
    """The batch as JSON lines, byte-identical to DuckDB's `COPY ... (FORMAT JSON)`."""
    con.register("exchanges_batch", pa.Table.from_batches([batch]))
    try:
        encoded = con.sql("SELECT to_json(exchanges_batch) FROM exchanges_batch").to_arrow_table()
    finally:
        con.unregister("exchanges_batch")
    if encoded.num_rows == 0:
        return b""
    joined = join([encoded.column(0).combine_chunks(), pa.repeat(pa.scalar(""), encoded.num_rows)], "\n")
    _, offsets, data = joined.buffers()
    if offsets is None or data is None:
        return b""
    first = joined.offset * 4
    bounds = np.frombuffer(offsets.slice(first, (len(joined) + 1) * 4).to_pybytes(), dtype=np.int32)
    # The lines are back to back in the values buffer: take that span, no per-row Python.
    return data.slice(int(bounds[0]), int(bounds[-1] - bounds[0])).to_pybytes()


def _pieces(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    """Batches cut to `_TEXT_ROWS`: text encoding copies each piece a few times on its way to disk."""
    for batch in batches:
        for start in range(0, batch.num_rows, _TEXT_ROWS):
            yield batch.slice(start, _TEXT_ROWS)


def _write_json(
    con: duckdb.DuckDBPyConnection, path: Path, fmt: OutputFormat, batches: Iterator[pa.RecordBatch]
) -> None:
    with path.open("wb") as raw:
        if fmt.compression == "zstd":
            compressor = zstandard.ZstdCompressor(level=ZSTD_LEVEL, threads=-1)
            with compressor.stream_writer(raw, closefd=False) as sink:
                for piece in _pieces(batches):
                    sink.write(_json_lines(con, piece))
        elif fmt.compression == "gzip":
            with ParallelGzip(raw) as gz:
                for piece in _pieces(batches):
                    gz.write(_json_lines(con, piece))
        else:
            for piece in _pieces(batches):
                raw.write(_json_lines(con, piece))


def write_file(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    fmt: OutputFormat,
    schema: pa.Schema,
    batches: Iterator[pa.RecordBatch],
) -> None:
    """Stream batches into one output file of the given format."""
    if fmt.encoding == "parquet":
        with pq.ParquetWriter(path, schema, compression="zstd") as writer:
            for batch in batches:
                writer.write_batch(batch)
    elif fmt.encoding == "json":
        _write_json(con, path, fmt, batches)
    else:
        reader = pa.RecordBatchReader.from_batches(schema, _pieces(batches))
        con.register("exchanges_stream", reader)
        try:
            con.execute(
                f"COPY (SELECT * FROM exchanges_stream) TO '{path.as_posix()}' (FORMAT CSV, HEADER true)"
            )
        finally:
            con.unregister("exchanges_stream")
