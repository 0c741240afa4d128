"""CSV with a header row (plain, gzip or zstd): Arrow's parser per block, Python for odd blocks.

Every cell is read as text: validation parses numbers and timestamps itself, the same way for
every format, and text cells cannot trip Arrow's type inference halfway through a file. An
empty cell is null, except that the fast path keeps a quoted empty cell (`""`) as the empty
string.

Arrow skips rows with the wrong number of cells through a callback that does not say where
the row was. Rows map to lines one to one unless a quoted cell contains a line break, so the
fast path places each skipped row by finding its text at a line start, and checks that the
counts add up; a block where they do not (multi-line cells), or that Arrow refuses (invalid
UTF-8), is parsed again with Python's `csv` module, which knows every record's line.

`source_row` is the line on which a record starts; the header is line 1.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.csv as pa_csv

from distillgov.traffic.pipeline import prefetch
from distillgov.traffic.quarantine import Reason, Rejection, escape_bytes
from distillgov.traffic.readers.base import SourceBatch, UnreadableFileError, with_rows
from distillgov.traffic.readers.stream import BrokenTail, ByteStream, TextBlock, text_blocks


@dataclass(frozen=True)
class _Header:
    names: list[str]
    lines: int  # physical lines the header occupies
    size: int  # bytes, including its line break


def _read_header(block: TextBlock, stream: ByteStream) -> _Header:
    text = block.data.decode("utf-8", errors="replace")
    reader = csv.reader(io.StringIO(text, newline="\n"))
    names = next(reader, [])
    if not names or all(not n.strip() for n in names):
        raise UnreadableFileError(stream.path, "the first line is not a CSV header (no column names)")
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise UnreadableFileError(stream.path, f"the header names columns more than once: {duplicated}")
    starts = _line_starts(block.data)
    size = int(starts[reader.line_num]) if reader.line_num < len(starts) else len(block.data)
    return _Header([n.strip() for n in names], reader.line_num, size)


def _line_starts(data: bytes) -> npt.NDArray[np.int64]:
    newlines = np.flatnonzero(np.frombuffer(data, dtype=np.uint8) == 0x0A)
    return np.concatenate(([0], newlines + 1)).astype(np.int64)


class CsvReader:
    """Reads one CSV file whose first record is the header."""

    def __init__(self, block_size: int = 32 << 20) -> None:
        self._block_size = block_size

    def read(self, stream: ByteStream) -> Iterator[SourceBatch]:
        header: _Header | None = None
        for block in prefetch(text_blocks(stream, self._block_size, quote_aware=True)):
            if isinstance(block, BrokenTail):
                detail = block.detail
                raw = escape_bytes(block.data) or None
                yield SourceBatch(
                    with_rows(pa.table({}), np.zeros(0, dtype=np.int64)),
                    lambda _: [],
                    stream.consumed,
                    [Rejection(block.line, Reason.TRUNCATED_INPUT, detail, raw=raw)],
                )
                continue
            if header is None:
                header = _read_header(block, stream)
                block = TextBlock(
                    block.data[header.size :],
                    block.first_line + header.lines,
                    block.line_count - header.lines,
                )
                if not block.data:
                    continue
            yield self._fast(block, header.names, stream.consumed) or _slow(
                block, header.names, stream.consumed
            )
        if header is None:
            raise UnreadableFileError(stream.path, "empty file: a CSV file needs a header row")

    @staticmethod
    def _fast(block: TextBlock, names: list[str], consumed: int) -> SourceBatch | None:
        skipped: list[str] = []

        def on_invalid(row: pa_csv.InvalidRow) -> Literal["skip"]:
            skipped.append(row.text)
            return "skip"

        try:
            table = pa_csv.read_csv(
                io.BytesIO(block.data),
                read_options=pa_csv.ReadOptions(column_names=names),
                parse_options=pa_csv.ParseOptions(newlines_in_values=True, invalid_row_handler=on_invalid),
                convert_options=pa_csv.ConvertOptions(
                    column_types=dict.fromkeys(names, pa.string()),
                    strings_can_be_null=True,
                    quoted_strings_can_be_null=False,
                    null_values=[""],
                ),
            )
        except pa.ArrowInvalid:
            return None
        every_start = _line_starts(block.data)
        ends = np.append(every_start[1:] - 1, len(block.data))  # line ends, without the newline
        starts = every_start[: block.line_count]
        lengths = ends[: block.line_count] - starts
        data = np.frombuffer(block.data, dtype=np.uint8)
        # A line holding only "\r" is an empty line of a CRLF file.
        only_cr = (lengths == 1) & (data[np.minimum(starts, max(len(data) - 1, 0))] == 0x0D)
        records = np.flatnonzero((lengths > 0) & ~only_cr)
        if len(records) != table.num_rows + len(skipped):
            return None  # some record spans several lines
        bad = _place(block.data, starts, skipped)
        if bad is None:
            return None
        good = np.setdiff1d(records, bad, assume_unique=True)
        rows = block.first_line + good
        rejections = [
            Rejection(
                int(block.first_line + line),
                Reason.WRONG_COLUMN_COUNT,
                f"{_cells(text)} cells where the header has {len(names)} columns",
                raw=text,
            )
            for line, text in zip(bad.tolist(), skipped, strict=True)
        ]

        def raw_records(positions: Sequence[int]) -> list[str | None]:
            out: list[str | None] = []
            for p in positions:
                start = int(starts[good[p]])
                out.append(escape_bytes(block.data[start : start + int(lengths[good[p]])].rstrip(b"\r")))
            return out

        return SourceBatch(with_rows(table, rows), raw_records, consumed, rejections)


def _cells(text: str) -> int:
    return len(next(csv.reader([text]), []))


def _place(data: bytes, starts: npt.NDArray[np.int64], texts: list[str]) -> npt.NDArray[np.int64] | None:
    """Line index of each skipped row, found as its text at a line start, in order."""
    lines: list[int] = []
    position = 0
    start_set = set(starts.tolist())
    for text in texts:
        needle = text.encode("utf-8")
        while True:
            found = data.find(needle, position)
            if found < 0:
                return None
            position = found + 1
            if found in start_set:
                break
        lines.append(int(np.searchsorted(starts, found)))
    return np.array(lines, dtype=np.int64)


def _slow(block: TextBlock, names: list[str], consumed: int) -> SourceBatch:
    """Python's csv module: slower, but it knows the line of every record and every bad byte."""
    text = block.data.decode("utf-8", errors="surrogateescape")
    reader = csv.reader(io.StringIO(text, newline="\n"))
    columns: list[list[str | None]] = [[] for _ in names]
    rows: list[int] = []
    raws: list[str] = []
    rejections: list[Rejection] = []
    physical = text.split("\n")
    previous = 0
    for record in reader:
        first, previous = previous, reader.line_num
        if not record:
            continue  # an empty line
        raw = escape_bytes(
            "\n".join(physical[first:previous]).rstrip("\r").encode("utf-8", errors="surrogateescape")
        )
        line = block.first_line + first
        if len(record) != len(names):
            detail = f"{len(record)} cells where the header has {len(names)} columns"
            rejections.append(Rejection(line, Reason.WRONG_COLUMN_COUNT, detail, raw=raw))
            continue
        try:
            "".join(record).encode("utf-8")
        except UnicodeEncodeError:
            detail = "invalid UTF-8 in this record; re-encode the file as UTF-8"
            rejections.append(Rejection(line, Reason.INVALID_UTF8, detail, raw=raw))
            continue
        for column, cell in zip(columns, record, strict=True):
            column.append(cell if cell != "" else None)
        rows.append(line)
        raws.append(raw)
    table = pa.table(
        {name: pa.array(values, pa.string()) for name, values in zip(names, columns, strict=True)}
    )

    def raw_records(positions: Sequence[int]) -> list[str | None]:
        return [raws[p] for p in positions]

    return SourceBatch(with_rows(table, np.array(rows, dtype=np.int64)), raw_records, consumed, rejections)
