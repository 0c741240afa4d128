"""The normalized exchange store: Parquet partitioned by UTC day, read by every later stage.

Layout of a store folder:

    store.json                                  format version and privacy settings
    exchanges/date=YYYY-MM-DD/<ingest_id>-<lane>-<n>.parquet
    quarantine/<ingest_id>.parquet              rejected rows of one ingest
    manifests/<ingest_id>.json                  what one ingest read, wrote and refused

Rows carry the canonical columns plus lineage (`source_file`, `source_row`, `ingest_id`),
`extra` (unmapped source columns as a JSON object) and the privacy-mode columns
`prompt_chars`, `completion_chars`, `prompt_minhash`.

An ingest writes into `.staging/<ingest_id>/` and moves its files into `exchanges/` only once
it has finished and removed duplicates, so a crashed run leaves no half-ingest behind. Privacy
settings are fixed per store: appending pseudonymized rows to a store of raw identifiers (or
under another key) would silently break every join, so it is refused.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from distillgov.traffic.normalize import DATE_COLUMN
from distillgov.traffic.schema import EXCHANGE_SCHEMA
from distillgov.traffic.signature import SIGNATURE_TYPE

STORE_FORMAT = 1
EXCHANGES = "exchanges"
QUARANTINE = "quarantine"
MANIFESTS = "manifests"
STAGING = ".staging"
SETTINGS_FILE = "store.json"
LOCK_FILE = ".ingest.lock"

_LINEAGE: list[pa.Field[Any]] = [
    pa.field(
        "source_file", pa.string(), nullable=False, metadata={"description": "Input file as named to ingest."}
    ),
    pa.field(
        "source_row", pa.int64(), nullable=False, metadata={"description": "1-based line or row in it."}
    ),
    pa.field(
        "ingest_id", pa.string(), nullable=False, metadata={"description": "The ingest that wrote the row."}
    ),
    pa.field("extra", pa.string(), metadata={"description": "Unmapped source columns, as a JSON object."}),
    pa.field("prompt_chars", pa.int64(), metadata={"description": "Characters in the prompt."}),
    pa.field("completion_chars", pa.int64(), metadata={"description": "Characters in the completion."}),
    pa.field(
        "prompt_minhash",
        SIGNATURE_TYPE,
        metadata={"description": "MinHash of the prompt (see signature.py); only under --drop-text."},
    ),
]
STORE_SCHEMA: pa.Schema = pa.schema([*EXCHANGE_SCHEMA, *_LINEAGE])


class StoreError(Exception):
    """The folder is not a store, is in use, or does not accept this run's settings."""


@dataclass(frozen=True)
class StoreSettings:
    """Settings every ingest into a store must share."""

    key_fingerprint: str | None  # pseudonymization key, None for raw identifiers
    drop_text: bool

    def describe(self) -> str:
        ids = (
            f"identifiers pseudonymized under key {self.key_fingerprint}"
            if self.key_fingerprint
            else "raw identifiers"
        )
        return f"{ids}, {'without' if self.drop_text else 'with'} prompt/completion text"


@dataclass(frozen=True)
class Store:
    root: Path

    @property
    def exchanges(self) -> Path:
        return self.root / EXCHANGES

    def exchange_files(self) -> list[Path]:
        return sorted(self.exchanges.glob("date=*/*.parquet"))

    def quarantine_files(self) -> list[Path]:
        return sorted((self.root / QUARANTINE).glob("*.parquet"))

    def settings(self) -> StoreSettings | None:
        path = self.root / SETTINGS_FILE
        if not path.exists():
            return None
        document = json.loads(path.read_text("utf-8"))
        return StoreSettings(document.get("key_fingerprint"), bool(document.get("drop_text")))

    def scan_sql(self) -> str:
        """A FROM-clause expression over all exchanges, with the `date` partition column.

        Every later stage reads the store through this (or `relation`), so that the layout
        stays a detail of this module.
        """
        if not self.exchange_files():
            return f"(SELECT *, CAST(NULL AS DATE) AS date FROM ({empty_select(STORE_SCHEMA)}))"
        pattern = str(self.exchanges / "date=*" / "*.parquet").replace("'", "''")
        return f"read_parquet('{pattern}', hive_partitioning = true, hive_types = {{'date': DATE}})"

    def relation(self, connection: duckdb.DuckDBPyConnection | None = None) -> duckdb.DuckDBPyRelation:
        """The exchanges as a DuckDB relation (timestamps in UTC)."""
        con = connection or duckdb.connect()
        con.execute("SET TimeZone = 'UTC'")
        return con.sql(f"SELECT * FROM {self.scan_sql()}")


def empty_select(schema: pa.Schema) -> str:
    """A typed, empty SELECT with the columns of an Arrow schema (for a store with no rows yet)."""
    types = duckdb.connect().from_arrow(schema.empty_table()).types
    columns = ", ".join(f'CAST(NULL AS {t}) AS "{name}"' for name, t in zip(schema.names, types, strict=True))
    return f"SELECT {columns} LIMIT 0"


def open_store(root: Path) -> Store:
    """An existing store; refuses folders that are not one."""
    store = Store(root)
    if not (root / SETTINGS_FILE).exists():
        raise StoreError(
            f"{root} is not a distillgov store (no {SETTINGS_FILE}); create one with `distillgov ingest`"
        )
    return store


def prepare_store(root: Path, settings: StoreSettings) -> Store:
    """Create a store, or check that an existing one was written with the same settings."""
    store = Store(root)
    existing = store.settings()
    if existing is None:
        if root.exists() and any(p.name not in (STAGING, LOCK_FILE) for p in root.iterdir()):
            raise StoreError(f"{root} exists and is not a distillgov store; choose an empty or new folder")
        root.mkdir(parents=True, exist_ok=True)
        document = {"format": STORE_FORMAT, **asdict(settings)}
        (root / SETTINGS_FILE).write_text(json.dumps(document, indent=2) + "\n", "utf-8")
        (root / EXCHANGES).mkdir(exist_ok=True)
    elif existing != settings:
        raise StoreError(
            f"{root} holds {existing.describe()}; this run would add {settings.describe()}. "
            "Mixing them would break linkage between rows: use the same settings or another store"
        )
    return store


class IngestLock:
    """One ingest at a time per store: two would race on duplicate detection."""

    def __init__(self, root: Path) -> None:
        self._path = root / LOCK_FILE

    def __enter__(self) -> IngestLock:
        self._path.parent.mkdir(parents=True, exist_ok=True)
        try:
            descriptor = os.open(self._path, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except FileExistsError:
            raise StoreError(
                f"another ingest is writing to {self._path.parent} (lock {self._path}); "
                "if none is running, a previous one crashed: delete the lock file"
            ) from None
        os.write(descriptor, str(os.getpid()).encode())
        os.close(descriptor)
        return self

    def __exit__(self, *exc: object) -> None:
        self._path.unlink(missing_ok=True)


# Min/max statistics let readers skip row groups by time or account; on long free text they
# only cost time (a fifth of the write) and bloat the footer, so those columns go without.
_LONG_TEXT = ("prompt", "completion", "extra")
_WRITE_OPTIONS: dict[str, Any] = {
    "compression": "zstd",
    "write_statistics": [name for name in STORE_SCHEMA.names if name not in _LONG_TEXT],
}


@dataclass
class _Day:
    writer: pq.ParquetWriter | None
    buffered: list[pa.Table]
    rows: int = 0
    nbytes: int = 0


class PartitionedWriter:
    """Writes store rows into per-day files under a staging folder, with bounded buffering.

    Rows are buffered per day until a row group is full; when all buffers together exceed
    `buffer_bytes`, the largest is flushed early. At most `max_open` files are open; a day
    whose writer was closed continues in a new file.
    """

    def __init__(
        self,
        staging: Path,
        file_prefix: str,
        *,
        row_group_rows: int = 64 * 1024,
        buffer_bytes: int = 256 << 20,
        max_open: int = 32,
    ) -> None:
        self._staging = staging
        self._file_prefix = file_prefix
        self._row_group_rows = row_group_rows
        self._buffer_bytes = buffer_bytes
        self._max_open = max_open
        self._days: dict[str, _Day] = {}
        self._parts = 0
        self.files: list[Path] = []

    def write(self, table: pa.Table) -> None:
        """Append rows of STORE_SCHEMA plus the DATE_COLUMN that partitions them."""
        for day, rows in _split_by_day(table):
            state = self._days.setdefault(day, _Day(None, []))
            state.buffered.append(rows)
            state.rows += rows.num_rows
            state.nbytes += rows.get_total_buffer_size()
            if state.rows >= self._row_group_rows:
                self._flush(day, state)
        while sum(d.nbytes for d in self._days.values()) > self._buffer_bytes:
            day, state = max(self._days.items(), key=lambda item: item[1].nbytes)
            self._flush(day, state)

    def _flush(self, day: str, state: _Day) -> None:
        if not state.buffered:
            return
        if state.writer is None:
            self._limit_open()
            self._parts += 1
            path = self._staging / f"date={day}" / f"{self._file_prefix}-{self._parts:04d}.parquet"
            path.parent.mkdir(parents=True, exist_ok=True)
            state.writer = pq.ParquetWriter(path, STORE_SCHEMA, **_WRITE_OPTIONS)
            self.files.append(path)
        rows = pa.concat_tables(state.buffered)
        state.writer.write_table(rows, row_group_size=self._row_group_rows)
        state.buffered, state.rows, state.nbytes = [], 0, 0

    def _limit_open(self) -> None:
        open_days = [d for d, s in self._days.items() if s.writer is not None]
        for day in open_days[: max(0, len(open_days) - self._max_open + 1)]:
            state = self._days[day]
            self._flush(day, state)
            assert state.writer is not None
            state.writer.close()
            state.writer = None

    def close(self) -> list[Path]:
        for day, state in self._days.items():
            self._flush(day, state)
            if state.writer is not None:
                state.writer.close()
                state.writer = None
        return self.files


def _split_by_day(table: pa.Table) -> list[tuple[str, pa.Table]]:
    """Rows per UTC day, without the DATE_COLUMN; a batch of one day is not copied.

    Each day of a mixed batch gets its own compact copy: slices would keep the whole batch
    alive until the last of its days is flushed, which with many days open multiplies memory.
    """
    dates = table.column(DATE_COLUMN)
    rows = table.drop_columns([DATE_COLUMN]).cast(STORE_SCHEMA)
    distinct = dates.unique()
    if len(distinct) == 1:
        return [(str(distinct[0].as_py()), rows)]
    order = pc.sort_indices(dates)
    counts = pc.value_counts(dates)
    runs = sorted(zip(counts.field("values").to_pylist(), counts.field("counts").to_pylist(), strict=True))
    out = []
    start = 0
    for day, count in runs:  # dates are never null: the timestamp is required
        out.append((str(day), rows.take(order.slice(start, int(count or 0)))))
        start += int(count or 0)
    return out


def commit(staging: Path, store: Store) -> list[Path]:
    """Move an ingest's staged files into the store; returns their final paths."""
    moved = []
    for path in sorted(staging.glob("date=*/*.parquet")):
        target = store.exchanges / path.parent.name / path.name
        target.parent.mkdir(parents=True, exist_ok=True)
        path.replace(target)
        moved.append(target)
    shutil.rmtree(staging, ignore_errors=True)
    with contextlib.suppress(OSError):  # the parent goes too once no other ingest uses it
        staging.parent.rmdir()
    return moved
