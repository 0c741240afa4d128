"""Parquet reader: typed columns, row numbers, corrupt files."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from ingest_helpers import rows, write_parquet

from distillgov.traffic.readers import Format, UnreadableFileError, open_source
from distillgov.traffic.readers.base import ROW_COLUMN
from distillgov.traffic.readers.parquet import ParquetReader


def test_rows_are_numbered_across_batches_and_keep_their_types(tmp_path: Path) -> None:
    path = write_parquet(tmp_path / "log.parquet", rows(25))
    assert open_source(path).format is Format.PARQUET
    batches = list(ParquetReader(batch_rows=10).read(path))
    table = pa.concat_tables(b.table for b in batches)
    assert table.column(ROW_COLUMN).to_pylist() == list(range(1, 26))
    assert table.schema.field("input_tokens").type == pa.int64()
    assert batches[-1].consumed == path.stat().st_size
    assert '"request_id": "req-000021"' in batches[2].raw_records([1])[0]


def test_parquet_is_recognized_without_its_extension(tmp_path: Path) -> None:
    path = write_parquet(tmp_path / "export.bin", rows(2))
    assert open_source(path).format is Format.PARQUET


@pytest.mark.parametrize("content", [b"PAR1 this is not a parquet file PAR1", b"not parquet at all"])
def test_corrupt_parquet_is_unreadable(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "bad.parquet"
    path.write_bytes(content)
    with pytest.raises(UnreadableFileError, match="Parquet") as error:
        source = open_source(path)
        list(source.batches(frozenset()))
    assert str(path) in str(error.value)


def test_corruption_inside_the_file_is_reported_after_the_rows_before_it(tmp_path: Path) -> None:
    path = tmp_path / "broken.parquet"
    pq.write_table(pa.Table.from_pylist(rows(40)), path, row_group_size=10, compression="none")
    data = bytearray(path.read_bytes())
    metadata = pq.ParquetFile(path).metadata
    third = metadata.row_group(2).column(0)
    start = third.dictionary_page_offset or third.data_page_offset
    data[start : start + 64] = b"\xff" * 64  # wreck the third row group's first page
    path.write_bytes(bytes(data))
    read_rows = 0
    with pytest.raises(UnreadableFileError, match="after row 20"):
        for batch in ParquetReader(batch_rows=10).read(path):
            read_rows += batch.table.num_rows
    assert read_rows == 20
