"""Rejected input, kept rather than dropped: every refused row lands here with the reason.

A log row that cannot be trusted must not silently vanish, because "we dropped 3% of the
traffic" changes what the volume evidence says. The quarantine is one Parquet file per ingest
(`quarantine/<ingest_id>.parquet`) that names the file, the line or row, the rule that failed
and the raw record, so that the operator can fix the source and ingest the rows again.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq


class Reason(StrEnum):
    """Why a row was refused; one value per rule, stable because reports count by it."""

    MISSING_REQUIRED = "missing_required"
    UNPARSEABLE_TIMESTAMP = "unparseable_timestamp"
    AMBIGUOUS_TIMESTAMP = "ambiguous_timestamp"
    TIMESTAMP_OUT_OF_RANGE = "timestamp_out_of_range"
    NEGATIVE_COUNT = "negative_count"
    NON_INTEGER_COUNT = "non_integer_count"
    DUPLICATE_REQUEST_ID = "duplicate_request_id"
    INVALID_JSON = "invalid_json"
    NOT_AN_OBJECT = "not_an_object"
    INVALID_UTF8 = "invalid_utf8"
    WRONG_COLUMN_COUNT = "wrong_column_count"
    TRUNCATED_INPUT = "truncated_input"


_QUARANTINE_FIELDS: list[pa.Field[Any]] = [
    pa.field("ingest_id", pa.string(), nullable=False),
    pa.field("source_file", pa.string(), nullable=False),
    pa.field("source_row", pa.int64(), metadata={"description": "1-based line (text formats) or row."}),
    pa.field("reason", pa.string(), nullable=False),
    pa.field("field", pa.string(), metadata={"description": "Canonical field the rule checked."}),
    pa.field("detail", pa.string(), metadata={"description": "What was wrong and what to do."}),
    pa.field(
        "raw",
        pa.string(),
        metadata={"description": "The record as read (invalid bytes escaped); null under privacy modes."},
    ),
]
QUARANTINE_SCHEMA = pa.schema(_QUARANTINE_FIELDS)


@dataclass(frozen=True)
class Rejection:
    """One refused row, as a reader or a check describes it."""

    source_row: int | None
    reason: Reason
    detail: str
    field: str | None = None
    raw: str | None = None


def escape_bytes(data: bytes) -> str:
    """Text of a raw record with invalid UTF-8 shown as `\\xNN`, so that it can be stored and read."""
    return data.decode("utf-8", errors="backslashreplace")


class QuarantineWriter:
    """Streams rejected rows to one Parquet file, opened only if something is rejected."""

    def __init__(self, path: Path, ingest_id: str, *, keep_raw: bool) -> None:
        self._path = path
        self._ingest_id = ingest_id
        self._keep_raw = keep_raw
        self._writer: pq.ParquetWriter | None = None
        self.counts: Counter[str] = Counter()  # rejected rows by reason
        self.per_file: Counter[str] = Counter()  # rejected rows by source file

    @property
    def path(self) -> Path | None:
        """Where the quarantine was written, or None when nothing was rejected."""
        return self._path if self._writer is not None else None

    def write_table(self, source_file: str, table: pa.Table) -> None:
        """Append rejections given as columns source_row, reason, field, detail, raw."""
        if table.num_rows == 0:
            return
        n = table.num_rows
        raw = table.column("raw") if self._keep_raw else pa.nulls(n, pa.string())
        batch = pa.table(
            [
                pa.array([self._ingest_id] * n, pa.string()),
                pa.array([source_file] * n, pa.string()),
                table.column("source_row").cast(pa.int64()),
                table.column("reason").cast(pa.string()),
                table.column("field").cast(pa.string()),
                table.column("detail").cast(pa.string()),
                raw.cast(pa.string()),
            ],
            schema=QUARANTINE_SCHEMA,
        )
        self.counts.update(str(reason) for reason in batch.column("reason").to_pylist())
        self.per_file[source_file] += n
        if self._writer is None:
            self._path.parent.mkdir(parents=True, exist_ok=True)
            self._writer = pq.ParquetWriter(self._path, QUARANTINE_SCHEMA, compression="zstd")
        self._writer.write_table(batch)

    def write(self, source_file: str, rejections: list[Rejection]) -> None:
        """Append rejections found by readers or checks."""
        if not rejections:
            return
        self.write_table(
            source_file,
            pa.table(
                {
                    "source_row": pa.array([r.source_row for r in rejections], pa.int64()),
                    "reason": pa.array([r.reason.value for r in rejections], pa.string()),
                    "field": pa.array([r.field for r in rejections], pa.string()),
                    "detail": pa.array([r.detail for r in rejections], pa.string()),
                    "raw": pa.array([r.raw for r in rejections], pa.string()),
                }
            ),
        )

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
