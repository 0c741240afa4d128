"""Parquet files, streamed by record batch; `source_row` is the 1-based row in the file.

Columns keep their Parquet types. A timestamp column without a time zone (Parquet's
`isAdjustedToUTC = false`) is treated like a zone-less string: ambiguous, unless the run says
`--naive-timestamps utc`.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from distillgov.traffic.readers.base import SourceBatch, UnreadableFileError, json_records, with_rows

_BUFFER_BYTES = 4 << 20


class ParquetReader:
    def __init__(self, batch_rows: int = 32 * 1024) -> None:
        self._batch_rows = batch_rows

    def read(self, path: Path) -> Iterator[SourceBatch]:
        try:
            # Without pre-buffering, a row group is read page by page instead of whole: input
            # files with 1M-row groups of long texts would otherwise need gigabytes.
            parquet = pq.ParquetFile(path, pre_buffer=False, buffer_size=_BUFFER_BYTES)
        except FileNotFoundError:
            raise UnreadableFileError(path, "file not found") from None
        except (pa.ArrowException, OSError) as error:
            raise UnreadableFileError(path, f"not a readable Parquet file ({error})") from None
        total = max(parquet.metadata.num_rows, 1)
        size = path.stat().st_size
        first = 1
        batches = parquet.iter_batches(batch_size=self._batch_rows)
        while True:
            try:
                batch = next(batches)
            except StopIteration:
                return
            except (pa.ArrowException, OSError) as error:
                raise UnreadableFileError(
                    path, f"corrupt data after row {first - 1}: {error}; the rows before it were read"
                ) from None
            table = pa.Table.from_batches([batch])
            rows = np.arange(first, first + table.num_rows, dtype=np.int64)
            first += table.num_rows
            yield SourceBatch(with_rows(table, rows), json_records(table), size * (first - 1) // total)
