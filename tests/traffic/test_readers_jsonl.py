"""JSON Lines reader: fast path, line numbers, and every way a line or a file can be bad."""

from __future__ import annotations

import gzip
import zlib
from pathlib import Path

import pyarrow as pa
import pytest
import zstandard
from ingest_helpers import jsonl_bytes, rows

from distillgov.traffic.quarantine import Reason, Rejection
from distillgov.traffic.readers import Format, SourceBatch, UnreadableFileError, jsonl, open_source
from distillgov.traffic.readers.base import ROW_COLUMN
from distillgov.traffic.readers.jsonl import JsonLinesReader
from distillgov.traffic.readers.stream import ByteStream, Compression

TIMESTAMPS = frozenset({"timestamp", "account_created_at"})


def read(path: Path, block_size: int = 64 << 20) -> tuple[pa.Table, list[Rejection], list[SourceBatch]]:
    source = open_source(path)
    assert source.format is Format.JSONL
    batches = list(JsonLinesReader(TIMESTAMPS, block_size).read(ByteStream(path, source.compression, 0)))
    tables = [b.table for b in batches if b.table.num_rows]
    table = pa.concat_tables(tables, promote_options="permissive") if tables else pa.table({})
    return table, [r for b in batches for r in b.rejections], batches


def lines_of(table: pa.Table) -> list[int]:
    return table.column(ROW_COLUMN).to_pylist()


@pytest.mark.parametrize("suffix", [".jsonl", ".jsonl.gz", ".jsonl.zst"])
def test_reads_every_row_with_its_line(tmp_path: Path, suffix: str) -> None:
    data = jsonl_bytes(rows(50))
    if suffix.endswith(".gz"):
        data = gzip.compress(data)
    elif suffix.endswith(".zst"):
        data = zstandard.ZstdCompressor().compress(data)
    path = tmp_path / f"log{suffix}"
    path.write_bytes(data)
    table, rejections, _ = read(path, block_size=1000)  # many blocks
    assert rejections == []
    assert lines_of(table) == list(range(1, 51))
    assert table.column("request_id").to_pylist() == [f"req-{i:06d}" for i in range(50)]
    # Timestamp sources stay text: a zone must not be lost to Arrow's type inference.
    assert table.schema.field("timestamp").type == pa.string()


def test_blank_lines_keep_line_numbers_right(tmp_path: Path) -> None:
    lines = jsonl_bytes(rows(3)).split(b"\n")
    path = tmp_path / "blank.jsonl"
    path.write_bytes(b"\n".join([lines[0], b"", b"   ", lines[1], b"\r", lines[2]]))  # no final newline
    table, rejections, _ = read(path)
    assert rejections == []
    assert lines_of(table) == [1, 4, 6]


def test_bad_lines_are_rejected_alone_with_their_line(tmp_path: Path) -> None:
    good = jsonl_bytes(rows(4)).split(b"\n")
    path = tmp_path / "bad.jsonl"
    path.write_bytes(
        b"\n".join(
            [
                good[0],
                b"[1, 2, 3]",
                good[1],
                b'"just a string"',
                b"{not json",
                good[2],
                b'{"a": "\xff\xfe"}',
                b"42",
                b'{"a": 1, "a": 2}',
                good[3],
                b"",
            ]
        )
    )
    table, rejections, batches = read(path)
    assert lines_of(table) == [1, 3, 6, 10]
    found = {(r.source_row, r.reason) for r in rejections}
    assert found == {
        (2, Reason.NOT_AN_OBJECT),
        (4, Reason.NOT_AN_OBJECT),
        (5, Reason.INVALID_JSON),
        (7, Reason.INVALID_UTF8),
        (8, Reason.NOT_AN_OBJECT),
        (9, Reason.INVALID_JSON),
    }
    by_line = {r.source_row: r for r in rejections}
    assert "an array" in by_line[2].detail
    assert by_line[7].raw == '{"a": "\\xff\\xfe"}'  # invalid bytes escaped, not lost
    assert "appears twice" in by_line[9].detail
    assert batches[0].raw_records([1]) == [good[1].decode()]


def test_epoch_numbers_in_a_timestamp_column_are_read_as_numbers(tmp_path: Path) -> None:
    path = tmp_path / "epoch.jsonl"
    path.write_bytes(jsonl_bytes([{**r, "timestamp": 1_740_000_000 + i} for i, r in enumerate(rows(3))]))
    table, rejections, _ = read(path)
    assert rejections == []
    assert table.column("timestamp").to_pylist() == [1_740_000_000.0, 1_740_000_001.0, 1_740_000_002.0]


def test_mixed_types_in_one_column_fall_back_without_losing_rows(tmp_path: Path) -> None:
    records = rows(3)
    records[1]["input_tokens"] = "13"
    records[2]["timestamp"] = 1_740_000_000
    path = tmp_path / "mixed.jsonl"
    path.write_bytes(jsonl_bytes(records))
    table, rejections, _ = read(path)
    assert rejections == []
    assert table.column("input_tokens").to_pylist() == ["12", "13", "14"]
    assert table.column("timestamp").to_pylist()[2] == "1740000000"


def test_truncated_gzip_keeps_complete_lines_and_reports_the_break(tmp_path: Path) -> None:
    data = gzip.compress(jsonl_bytes(rows(200)))
    path = tmp_path / "cut.jsonl.gz"
    path.write_bytes(data[: len(data) * 2 // 3])
    table, rejections, _ = read(path)
    assert len(rejections) == 1
    broken = rejections[0]
    assert broken.reason is Reason.TRUNCATED_INPUT
    assert broken.source_row == table.num_rows + 1  # the first line that could not be read whole
    assert f"compressed byte {len(data) * 2 // 3}" in broken.detail
    assert lines_of(table) == list(range(1, table.num_rows + 1))
    assert 0 < table.num_rows < 200


def test_concatenated_gzip_members_are_one_stream(tmp_path: Path) -> None:
    path = tmp_path / "cat.jsonl.gz"
    path.write_bytes(gzip.compress(jsonl_bytes(rows(3))) + gzip.compress(jsonl_bytes(rows(2, start=3))))
    table, rejections, _ = read(path)
    assert rejections == [] and lines_of(table) == [1, 2, 3, 4, 5]


def test_corrupt_gzip_data_is_reported_with_its_position(tmp_path: Path) -> None:
    compressor = zlib.compressobj(wbits=31)
    data = bytearray(compressor.compress(jsonl_bytes(rows(300))) + compressor.flush())
    data[len(data) // 2 : len(data) // 2 + 40] = b"\x00" * 40
    path = tmp_path / "corrupt.jsonl.gz"
    path.write_bytes(bytes(data))
    _, rejections, _ = read(path)
    assert rejections[-1].reason is Reason.TRUNCATED_INPUT
    assert "corrupt near compressed byte" in rejections[-1].detail


def test_byte_order_mark_is_not_part_of_the_first_record(tmp_path: Path) -> None:
    path = tmp_path / "bom.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + jsonl_bytes(rows(2)))
    table, rejections, _ = read(path)
    assert rejections == [] and lines_of(table) == [1, 2]


@pytest.mark.parametrize(
    ("name", "content", "problem"),
    [
        ("fake.jsonl.gz", b'{"a": 1}\n', "named as gzip but is not gzip"),
        ("fake.jsonl.zst", b'{"a": 1}\n', "named as zstd but is not zstd"),
        ("junk.jsonl", b"\x00\x01\x02binary\x00junk" * 10, "binary content"),
        ("notes.txt", b"just some notes\n", "unknown file type"),
    ],
)
def test_unreadable_files_name_the_problem(tmp_path: Path, name: str, content: bytes, problem: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(UnreadableFileError, match=problem) as error:
        open_source(path)
    assert str(path) in str(error.value)


def test_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(UnreadableFileError, match="file not found"):
        open_source(tmp_path / "absent.jsonl")


def test_compression_is_detected_by_content_not_name(tmp_path: Path) -> None:
    path = tmp_path / "actually-gzip.jsonl"
    path.write_bytes(gzip.compress(jsonl_bytes(rows(2))))
    assert open_source(path).compression is Compression.GZIP
    table, _, _ = read(path)
    assert table.num_rows == 2


def test_lines_longer_than_arrows_chunk_stay_on_the_fast_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(jsonl, "_parse_slow", None)  # the line-by-line fallback must not run
    records = rows(3)
    records[1]["prompt"] = "word " * 500_000  # 2.5 MB on one line
    path = tmp_path / "long.jsonl"
    path.write_bytes(jsonl_bytes(records))
    table, rejections, _ = read(path)
    assert rejections == [] and lines_of(table) == [1, 2, 3]
    assert table.column("prompt")[1].as_py() == records[1]["prompt"]
