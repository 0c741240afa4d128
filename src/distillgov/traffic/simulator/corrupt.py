"""Inject the faults real logs contain, into a known set of rows, for testing ingest's quarantine.

Which rows are hit, and how, is a keyed hash of the row's position in the sorted run, so the
choice does not depend on batch boundaries and every injected fault is written down exactly
(file, record index, request id as written, reason) for tests to compare against.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from distillgov.traffic.simulator.arrowops import Array, replace_masked, to_numpy, where
from distillgov.traffic.simulator.encoding import id_keys, keyed_permutation

MISSING_ACCOUNT = "missing_account_id"
BAD_TIMESTAMP = "unparseable_timestamp"
NEGATIVE_TOKENS = "negative_tokens"
DUPLICATE_REQUEST = "duplicate_request_id"
_TEXT_FAULTS = (MISSING_ACCOUNT, BAD_TIMESTAMP, NEGATIVE_TOKENS, DUPLICATE_REQUEST)
_TYPED_FAULTS = (MISSING_ACCOUNT, NEGATIVE_TOKENS, DUPLICATE_REQUEST)  # a typed timestamp cannot be garbled
FAULT_COLUMN = {
    MISSING_ACCOUNT: "account_id",
    BAD_TIMESTAMP: "timestamp",
    NEGATIVE_TOKENS: "output_tokens",
    DUPLICATE_REQUEST: "request_id",
}
# What log pipelines really emit: impossible dates, locale formats, spreadsheet errors, prose.
BAD_TIMESTAMPS = (
    "2026-13-45T25:61:00Z",
    "16/11/2026 25:03",
    "#VALUE!",
    "not a timestamp",
    "2026-11-3I-T10:00:00Z",
)
_MAX_DUPLICATE_DISTANCE = 64

_CORRUPTION_FIELDS: list[pa.Field[Any]] = [
    pa.field("file", pa.string(), nullable=False),
    pa.field("record", pa.int64(), nullable=False),  # 0-based record (row) index within `file`
    pa.field("request_id", pa.string()),  # as written (for duplicates: the repeated id)
    pa.field("column", pa.string(), nullable=False),
    pa.field("reason", pa.string(), nullable=False),
]
CORRUPTIONS_SCHEMA = pa.schema(_CORRUPTION_FIELDS)


def _uniform(positions: npt.NDArray[np.int64], keys: tuple[int, int]) -> npt.NDArray[np.float64]:
    return (keyed_permutation(positions, keys) >> np.uint64(11)).astype(np.float64) / float(1 << 53)


@dataclass(frozen=True)
class Corruptor:
    seed: int
    rate: float
    text: bool

    def _faulty(self, positions: npt.NDArray[np.int64]) -> npt.NDArray[np.bool_]:
        return _uniform(positions, id_keys(self.seed, "corrupt-select")) < self.rate

    def _kinds(
        self, positions: npt.NDArray[np.int64], file_first: int
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
        """Fault index per row (-1: clean) and, for duplicates, the position whose id is repeated."""
        faults = _TEXT_FAULTS if self.text else _TYPED_FAULTS
        kind = np.full(len(positions), -1, dtype=np.int64)
        chosen = np.flatnonzero(self._faulty(positions))
        pick = _uniform(positions[chosen], id_keys(self.seed, "corrupt-kind"))
        kind[chosen] = (pick * len(faults)).astype(np.int64)
        # A duplicate repeats an earlier clean row of the same file, else it becomes a negative count.
        distance = _uniform(positions, id_keys(self.seed, "corrupt-distance")) * _MAX_DUPLICATE_DISTANCE
        source = positions - 1 - distance.astype(np.int64)
        duplicate = kind == faults.index(DUPLICATE_REQUEST)
        unusable = duplicate & ((source < file_first) | self._faulty(np.maximum(source, 0)))
        kind[unusable] = faults.index(NEGATIVE_TOKENS)
        return kind, source

    def apply(
        self,
        batch: pa.RecordBatch,
        positions: npt.NDArray[np.int64],
        file_first: int,
        file: str,
        request_id_of: Callable[[npt.NDArray[np.int64]], Array],
    ) -> tuple[pa.RecordBatch, pa.Table]:
        """Fault the selected rows of a rendered batch, and say what was done to which record.

        `positions` are the rows' places in the sorted run, `file_first` that of the file's first
        row, and `request_id_of` gives the id that any position was written with.
        """
        faults = _TEXT_FAULTS if self.text else _TYPED_FAULTS
        kind, source = self._kinds(positions, file_first)
        columns = {name: batch.column(name) for name in batch.schema.names}
        missing = kind == faults.index(MISSING_ACCOUNT)
        columns["account_id"] = where(missing, pa.scalar(None, pa.string()), columns["account_id"])
        if self.text:
            garbled = kind == faults.index(BAD_TIMESTAMP)
            bad = pa.array(
                np.array(BAD_TIMESTAMPS, dtype=object)[positions % len(BAD_TIMESTAMPS)], pa.string()
            )
            columns["timestamp"] = where(garbled, bad, columns["timestamp"])
        negative = kind == faults.index(NEGATIVE_TOKENS)
        tokens = to_numpy(columns["output_tokens"])
        columns["output_tokens"] = pa.array(np.where(negative, -tokens - 1, tokens), pa.int64())
        duplicate = kind == faults.index(DUPLICATE_REQUEST)
        columns["request_id"] = replace_masked(
            columns["request_id"], duplicate, request_id_of(source[duplicate])
        )
        out = pa.RecordBatch.from_arrays([columns[n] for n in batch.schema.names], schema=batch.schema)

        rows = np.flatnonzero(kind >= 0)
        reasons = np.array(faults, dtype=object)[kind[rows]]
        record = pa.table(
            {
                "file": pa.array(np.full(len(rows), file, dtype=object), pa.string()),
                "record": pa.array(positions[rows] - file_first, pa.int64()),
                "request_id": out.column("request_id").take(rows),
                "column": pa.array([FAULT_COLUMN[r] for r in reasons], pa.string()),
                "reason": pa.array(reasons, pa.string()),
            },
            schema=CORRUPTIONS_SCHEMA,
        )
        return out, record
