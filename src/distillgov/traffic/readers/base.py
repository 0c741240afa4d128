"""What every reader hands to the rest of ingest: source columns plus where each row came from.

Readers know file formats and nothing about the canonical schema; mapping and validation
happen downstream, once, for all formats. A reader's only judgement is about records it cannot
turn into a row at all (invalid JSON, a CSV row with the wrong number of cells, a truncated
stream): those it reports as rejections with their line.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from distillgov.traffic.quarantine import Rejection

ROW_COLUMN = "__distillgov_source_row"  # carries source_row through mapping and validation


class UnreadableFileError(Exception):
    """A file that cannot be read at all (missing, not the format it claims, corrupt)."""

    def __init__(self, path: Path, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path = path
        self.problem = problem


@dataclass
class SourceBatch:
    """Rows read from one file.

    `table` holds the source columns plus ROW_COLUMN, the 1-based line (text formats) or row
    (Parquet) of each row; `raw_records` returns the source text of table rows by position,
    used only for rows that end up rejected; `consumed` is how many bytes of the file on disk
    have been read so far.
    """

    table: pa.Table
    raw_records: Callable[[Sequence[int]], list[str | None]]
    consumed: int
    rejections: list[Rejection] = field(default_factory=list)


def json_records(table: pa.Table) -> Callable[[Sequence[int]], list[str | None]]:
    """Raw-record provider for formats without a source line: the row rendered as JSON."""

    def records(positions: Sequence[int]) -> list[str | None]:
        taken = table.take(pa.array(list(positions), pa.int64())).to_pylist()
        return [json.dumps(row, default=str, ensure_ascii=False) for row in taken]

    return records


def with_rows(table: pa.Table, rows: npt.NDArray[np.int64]) -> pa.Table:
    """Attach the source row numbers to a table of source columns."""
    return table.append_column(ROW_COLUMN, pa.array(rows, pa.int64()))


def columns_from_records(records: Sequence[dict[str, Any]]) -> pa.Table:
    """Arrow columns from parsed JSON objects, the slow path's equivalent of Arrow's JSON reader.

    Each key becomes a column typed the way Arrow infers it; a key whose values disagree in type
    (a number here, a string there) becomes text, with non-strings written as JSON, so that no
    value is lost and validation can still parse it. Strings are never guessed to be timestamps.
    """
    names: dict[str, None] = {}
    for record in records:
        names.update(dict.fromkeys(record))
    columns: dict[str, pa.Array[Any]] = {}
    for name in names:
        values = [record.get(name) for record in records]
        try:
            columns[name] = pa.array(values)
        except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):
            columns[name] = pa.array(
                [v if v is None or isinstance(v, str) else json.dumps(v, ensure_ascii=False) for v in values],
                pa.string(),
            )
    if not columns:  # objects without keys still are rows (each one missing every field)
        return pa.table({"_": pa.nulls(len(records))}).drop_columns(["_"])
    return pa.table(columns)
