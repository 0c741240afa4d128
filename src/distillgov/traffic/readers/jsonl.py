"""JSON Lines (plain, gzip or zstd): Arrow's parser for whole blocks, Python only for bad ones.

The fast path hands a block of ~16 MiB of whole lines to `pyarrow.json.read_json`. Two of its
habits are handled here:

* it guesses ISO-8601 strings to be timestamps and drops their zone, which would make a
  zone-less string indistinguishable from a `Z` one; columns that feed a timestamp field are
  therefore declared as strings, and if a file carries epoch numbers there instead ("changed
  from string to number"), the block is re-read with that column as float64, and the file
  remembers it;
* it fails a whole block on one bad line, and does not check UTF-8. A block that is not valid
  UTF-8 or does not parse is read again line by line in Python, so that only the bad lines
  are rejected, each with its line number.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.json as pa_json

from distillgov.traffic.pipeline import prefetch
from distillgov.traffic.quarantine import Reason, Rejection, escape_bytes
from distillgov.traffic.readers.base import SourceBatch, columns_from_records, with_rows
from distillgov.traffic.readers.stream import BrokenTail, ByteStream, TextBlock, text_blocks

_ARROW_CHUNK = 1 << 20
_TYPE_CHANGE = re.compile(r"Column\(/([^)/]*)\) changed from string to number")
_WHITESPACE = np.zeros(256, dtype=bool)
_WHITESPACE[[0x20, 0x09, 0x0D, 0x0A]] = True
_JSON_KINDS = {list: "an array", str: "a string", int: "a number", float: "a number", bool: "a boolean"}


class _DuplicateKeyError(ValueError):
    pass


def _object_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """Refuse repeated keys, as Arrow does, instead of silently keeping the last value."""
    record: dict[str, Any] = {}
    for key, value in pairs:
        if key in record:
            raise _DuplicateKeyError(f"key {key!r} appears twice in one object")
        record[key] = value
    return record


def is_valid_utf8(data: bytes) -> bool:
    """Arrow's vectorized UTF-8 check over a whole block, without copying it."""
    offsets = pa.py_buffer(np.array([0, len(data)], dtype=np.int64).tobytes())
    blob = pa.Array.from_buffers(pa.large_binary(), 1, [None, offsets, pa.py_buffer(data)])
    try:
        blob.cast(pa.large_string())
    except pa.ArrowInvalid:
        return False
    return True


@dataclass
class _Lines:
    """Line boundaries of a block, computed only when a raw line is needed."""

    block: TextBlock
    _starts: npt.NDArray[np.int64] | None = None

    def starts(self) -> npt.NDArray[np.int64]:
        if self._starts is None:
            newlines = np.flatnonzero(np.frombuffer(self.block.data, dtype=np.uint8) == 0x0A)
            self._starts = np.concatenate(([0], newlines + 1)).astype(np.int64)
        return self._starts

    def line_bytes(self, line: int) -> bytes:
        starts = self.starts()
        index = line - self.block.first_line
        end = int(starts[index + 1]) - 1 if index + 1 < len(starts) else len(self.block.data)
        return self.block.data[int(starts[index]) : end].rstrip(b"\r")

    def nonblank_lines(self) -> npt.NDArray[np.int64]:
        """Line numbers of lines with something besides whitespace (Arrow skips the others)."""
        count = self.block.line_count
        starts = self.starts()[:count]
        lengths = np.append(starts[1:], len(self.block.data))[:count] - starts
        content = ~_WHITESPACE[np.frombuffer(self.block.data, dtype=np.uint8)]
        has_content = np.zeros(count, dtype=bool)
        nonempty = lengths > 0
        if nonempty.any():  # a segment may run over following empty lines: they add no content
            has_content[nonempty] = np.logical_or.reduceat(content, starts[nonempty])
        return self.block.first_line + np.flatnonzero(has_content)


class JsonLinesReader:
    """Reads one JSONL file; `string_columns` are the columns that must stay text."""

    def __init__(self, string_columns: frozenset[str], block_size: int = 32 << 20) -> None:
        self._string_columns = string_columns
        self._block_size = block_size

    def read(self, stream: ByteStream) -> Iterator[SourceBatch]:
        declared: dict[str, pa.DataType] = dict.fromkeys(sorted(self._string_columns), pa.string())
        for block in prefetch(text_blocks(stream, self._block_size)):
            if isinstance(block, BrokenTail):
                yield _broken(block, stream.consumed)
                continue
            lines = _Lines(block)
            table = _parse_fast(block.data, declared) if is_valid_utf8(block.data) else None
            if table is not None:
                rows = self._row_lines(table, lines)
                if rows is not None:
                    yield SourceBatch(with_rows(table, rows), _raw_lines(lines, rows), stream.consumed)
                    continue
            yield _parse_slow(lines, stream.consumed)

    @staticmethod
    def _row_lines(table: pa.Table, lines: _Lines) -> npt.NDArray[np.int64] | None:
        block = lines.block
        if table.num_rows == block.line_count:
            return np.arange(block.first_line, block.first_line + block.line_count, dtype=np.int64)
        numbers = lines.nonblank_lines()  # blank lines are skipped by Arrow
        return numbers if len(numbers) == table.num_rows else None


def _parse_fast(data: bytes, declared: dict[str, pa.DataType]) -> pa.Table | None:
    """Arrow's parser, with string-declared columns switched to float64 when they hold numbers.

    Arrow parses in 1 MiB chunks on several threads; a block holding a longer line is parsed
    again as one chunk rather than falling back to Python.
    """
    chunk = _ARROW_CHUNK
    for _ in range(len(declared) + 2):
        options = pa_json.ParseOptions(
            explicit_schema=pa.schema(list(declared.items())), unexpected_field_behavior="infer"
        )
        try:
            # A zero-copy reader over the block; the stubs only know file objects.
            return pa_json.read_json(
                pa.BufferReader(data),  # type: ignore[arg-type]
                read_options=pa_json.ReadOptions(block_size=chunk),
                parse_options=options,
            )
        except pa.ArrowInvalid as error:
            if "straddle" in str(error) and chunk < len(data):
                chunk = len(data)
                continue
            match = _TYPE_CHANGE.search(str(error))
            if match is None or declared.get(match.group(1)) != pa.string():
                return None
            declared[match.group(1)] = pa.float64()  # epoch numbers: remembered for the file
    return None


def _raw_lines(lines: _Lines, rows: npt.NDArray[np.int64]) -> Any:
    def records(positions: Sequence[int]) -> list[str | None]:
        return [escape_bytes(lines.line_bytes(int(rows[p]))) for p in positions]

    return records


def _parse_slow(lines: _Lines, consumed: int) -> SourceBatch:
    """Line-by-line parse of a block Arrow refused: keep every good line, reject only bad ones."""
    block = lines.block
    records: list[dict[str, Any]] = []
    good_lines: list[int] = []
    rejections: list[Rejection] = []
    for offset, raw in enumerate(block.data.split(b"\n")[: block.line_count]):
        line = block.first_line + offset
        text = raw.strip()
        if not text:
            continue
        problem = _parse_line(text, records)
        if problem is None:
            good_lines.append(line)
        else:
            rejections.append(Rejection(line, problem[0], problem[1], raw=escape_bytes(raw.rstrip(b"\r"))))
    rows = np.array(good_lines, dtype=np.int64)
    return SourceBatch(
        with_rows(columns_from_records(records), rows), _raw_lines(lines, rows), consumed, rejections
    )


def _parse_line(text: bytes, records: list[dict[str, Any]]) -> tuple[Reason, str] | None:
    try:
        decoded = text.decode("utf-8")
    except UnicodeDecodeError as error:
        return (
            Reason.INVALID_UTF8,
            f"invalid UTF-8 at byte {error.start + 1} of the line; re-encode the file as UTF-8",
        )
    try:
        value = json.loads(decoded, object_pairs_hook=_object_pairs)
    except _DuplicateKeyError as error:
        return Reason.INVALID_JSON, str(error)
    except json.JSONDecodeError as error:
        return Reason.INVALID_JSON, f"{error.msg} at column {error.colno}"
    if not isinstance(value, dict):
        kind = "null" if value is None else _JSON_KINDS.get(type(value), type(value).__name__)
        return Reason.NOT_AN_OBJECT, f"the line is {kind}; each line must be one JSON object"
    records.append(value)
    return None


def _broken(tail: BrokenTail, consumed: int) -> SourceBatch:
    rejection = Rejection(tail.line, Reason.TRUNCATED_INPUT, tail.detail, raw=escape_bytes(tail.data) or None)
    return SourceBatch(
        with_rows(pa.table({}), np.zeros(0, dtype=np.int64)), lambda _: [], consumed, [rejection]
    )
