"""CSV reader: header, text cells, line numbers of good and bad records, multi-line cells."""

from __future__ import annotations

import gzip
from pathlib import Path

import pyarrow as pa
import pytest

from distillgov.traffic.quarantine import Reason, Rejection
from distillgov.traffic.readers import Format, SourceBatch, UnreadableFileError, open_source
from distillgov.traffic.readers.base import ROW_COLUMN
from distillgov.traffic.readers.csv import CsvReader
from distillgov.traffic.readers.stream import ByteStream


def read(path: Path, block_size: int = 64 << 20) -> tuple[pa.Table, list[Rejection], list[SourceBatch]]:
    source = open_source(path)
    assert source.format is Format.CSV
    batches = list(CsvReader(block_size).read(ByteStream(path, source.compression, 0)))
    tables = [b.table for b in batches if b.table.num_rows]
    return pa.concat_tables(tables), [r for b in batches for r in b.rejections], batches


def write(tmp_path: Path, text: bytes, name: str = "log.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(gzip.compress(text) if name.endswith(".gz") else text)
    return path


@pytest.mark.parametrize("name", ["log.csv", "log.csv.gz"])
def test_cells_are_text_and_rows_know_their_line(tmp_path: Path, name: str) -> None:
    text = b"request_id,input_tokens,prompt\n" + b"".join(b"r%d,%d,hello %d\n" % (i, i, i) for i in range(30))
    table, rejections, _ = read(write(tmp_path, text, name), block_size=64)
    assert rejections == []
    assert table.column(ROW_COLUMN).to_pylist() == list(range(2, 32))  # the header is line 1
    assert table.column("input_tokens").type == pa.string()
    assert table.column("input_tokens").to_pylist()[:3] == ["0", "1", "2"]


def test_empty_cells_are_null_and_quoted_empty_cells_are_empty(tmp_path: Path) -> None:
    table, _, _ = read(write(tmp_path, b'a,b,c\nx,,""\n'))
    assert table.to_pylist()[0] == {"a": "x", "b": None, "c": "", ROW_COLUMN: 2}


def test_rows_with_the_wrong_number_of_cells_are_rejected_with_their_line(tmp_path: Path) -> None:
    text = b"a,b\r\n1,2\r\n3\r\n\r\n4,5,6\r\n7,8\r\n"
    table, rejections, batches = read(write(tmp_path, text))
    assert table.column(ROW_COLUMN).to_pylist() == [2, 6]
    assert [(r.source_row, r.reason, r.raw) for r in rejections] == [
        (3, Reason.WRONG_COLUMN_COUNT, "3"),
        (5, Reason.WRONG_COLUMN_COUNT, "4,5,6"),
    ]
    assert "3 cells where the header has 2" in rejections[1].detail
    assert batches[0].raw_records([1]) == ["7,8"]


def test_quoted_line_breaks_keep_records_whole_and_lines_right(tmp_path: Path) -> None:
    text = b'a,b\n1,"two\nlines"\n2,x\n3,"x",9\n4,"three\nmore\nlines"\n'
    table, rejections, batches = read(write(tmp_path, text), block_size=8)
    assert table.column("b").to_pylist() == ["two\nlines", "x", "three\nmore\nlines"]
    assert table.column(ROW_COLUMN).to_pylist() == [2, 4, 6]
    assert [(r.source_row, r.reason) for r in rejections] == [(5, Reason.WRONG_COLUMN_COUNT)]
    raw = [raw for batch in batches for raw in batch.raw_records(range(batch.table.num_rows))]
    assert raw == ['1,"two\nlines"', "2,x", '4,"three\nmore\nlines"']


def test_invalid_utf8_rejects_only_that_record(tmp_path: Path) -> None:
    table, rejections, _ = read(write(tmp_path, b"a,b\n1,ok\n2,\xff\xfe\n3,fine\n"))
    assert table.column("a").to_pylist() == ["1", "3"]
    assert [(r.source_row, r.reason, r.raw) for r in rejections] == [(3, Reason.INVALID_UTF8, "2,\\xff\\xfe")]


@pytest.mark.parametrize(
    ("text", "problem"),
    [(b"", "needs a header"), (b"a,a\n1,2\n", "more than once"), (b",\n1,2\n", "not a CSV header")],
)
def test_files_without_a_usable_header_are_unreadable(tmp_path: Path, text: bytes, problem: str) -> None:
    with pytest.raises(UnreadableFileError, match=problem):
        read(write(tmp_path, text))
