"""Where the exchanges are read and aggregated: one Ibis code path, DuckDB or Spark underneath.

Detection's heavy work is a handful of GROUP BYs over every exchange (`features.py`). They are
written once as Ibis expressions and run on whichever backend this module hands out:

- `duckdb` (default): embedded, single machine, reads Parquet files or a store directly;
- `pyspark`: a Spark session (local mode in tests; a cluster when `SPARK_REMOTE` or a
  `spark.master` is configured, see docs/detect.md), which must give the same findings.

Everything after those aggregates (baselines, linkage, scoring) runs on per-account tables of a
few hundred bytes per account, in Python, identically for both engines.

Inputs are a store folder (read through `Store.exchange_files()`) or Parquet files/folders in
the canonical schema. Required columns are checked before any work; optional columns that are
absent are added as typed nulls and recorded, so that each signal needing them can say so.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import weakref
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.types as ir
import pyarrow.parquet as pq
from ibis.formats.pyarrow import PyArrowType

from distillgov.detect.parameters import DEFAULT_MEMORY_LIMIT, ENGINES
from distillgov.provenance import sha256_file
from distillgov.traffic.schema import FIELDS_BY_NAME
from distillgov.traffic.store import EXCHANGES, SETTINGS_FILE

# What detection cannot work without: who sent it, when, and a stable id to sample by.
REQUIRED_COLUMNS: tuple[str, ...] = ("request_id", "timestamp", "account_id")
# Everything else detection reads; absent ones become nulls and their signals are skipped.
OPTIONAL_COLUMNS: tuple[str, ...] = (
    "organization_id",
    "api_key_id",
    "client_ip",
    "user_agent",
    "payment_fingerprint",
    "account_created_at",
    "model",
    "prompt",
    "input_tokens",
    "output_tokens",
    "max_tokens",
    "conversation_id",
    "turn_index",
    "status",
    "prompt_minhash",
)


class InputError(Exception):
    """The input cannot be scored: not found, not Parquet, or lacking required columns."""


@dataclass(frozen=True)
class InputFile:
    """One Parquet file read, for the findings' `inputs` block."""

    path: str
    sha256: str
    rows: int

    def as_dict(self) -> dict[str, Any]:
        return {"path": self.path, "sha256": self.sha256, "rows": self.rows}


@dataclass
class Source:
    """The exchanges as one Ibis table, plus what was read and which columns were absent."""

    table: ir.Table
    inputs: list[InputFile]
    absent: set[str] = field(default_factory=set)


def parquet_files(paths: Sequence[Path]) -> list[Path]:
    """Expand stores, folders and files into the Parquet files holding exchanges."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir() and (path / SETTINGS_FILE).exists():
            files.extend(sorted((path / EXCHANGES).glob("date=*/*.parquet")))
        elif path.is_dir():
            files.extend(p for p in sorted(path.rglob("*.parquet")) if not _is_side_file(p))
        elif path.is_file():
            files.append(path)
        else:
            raise InputError(f"{path} does not exist")
    if not files:
        raise InputError(f"no Parquet exchanges found under {', '.join(map(str, paths))}")
    return files


def _is_side_file(path: Path) -> bool:
    """The simulator's labels and fault lists sit next to its traffic; they are not exchanges."""
    return path.name in ("labels.parquet", "corruptions.parquet") or path.parts[-2:-1] == ("quarantine",)


def describe_inputs(files: Sequence[Path], threads: int = 2) -> list[InputFile]:
    """Path, sha256 and row count of every input file (row counts from Parquet footers).

    Files are hashed on `threads` threads (hashlib releases the GIL): a week's store is ~3 GB.
    """
    with ThreadPoolExecutor(max_workers=max(1, threads)) as pool:
        digests = list(pool.map(sha256_file, files))
    return [
        InputFile(str(p), digest, int(pq.ParquetFile(p).metadata.num_rows))
        for p, digest in zip(files, digests, strict=True)
    ]


def check_columns(files: Sequence[Path]) -> set[str]:
    """Refuse inputs lacking a required column; return the optional columns that are absent."""
    present: set[str] | None = None
    for path in files:
        names = set(pq.read_schema(path).names)
        present = names if present is None else present & names
    present = present or set()
    missing = [c for c in REQUIRED_COLUMNS if c not in present]
    if missing:
        raise InputError(
            "input lacks required column(s) "
            + ", ".join(missing)
            + f" (required: {', '.join(REQUIRED_COLUMNS)})"
        )
    return {c for c in OPTIONAL_COLUMNS if c not in present}


def _null_type(name: str) -> dt.DataType:
    if name == "prompt_minhash":
        return dt.Array(dt.int64)  # Spark has no unsigned types; values are compared as text
    spec = FIELDS_BY_NAME[name]
    return PyArrowType.to_ibis(spec.arrow_type)


def complete_columns(table: ir.Table, absent: set[str]) -> ir.Table:
    """Select the columns detection reads, adding absent optional ones as typed nulls."""
    columns: dict[str, ir.Value] = {c: table[c] for c in REQUIRED_COLUMNS}
    for name in OPTIONAL_COLUMNS:
        columns[name] = ibis.null(_null_type(name)) if name in absent else table[name]
    return table.select(**columns)


class Engine:
    """An Ibis backend plus how it reads Parquet; `duckdb` unless told otherwise.

    DuckDB gets an explicit memory limit and its own spill folder: without `temp_directory` it
    spills into `./.tmp` of whatever directory the command runs in, and without a limit it
    sizes itself to 80% of the machine, however many other processes share it. The folder is
    removed when the engine is closed or collected.
    """

    def __init__(
        self,
        name: str = "duckdb",
        *,
        spark_session: Any = None,
        threads: int | None = None,
        memory_limit: str = DEFAULT_MEMORY_LIMIT,
        temp_directory: Path | None = None,
    ) -> None:
        if name not in ENGINES:
            raise ValueError(f"unknown engine {name!r}; choose from {', '.join(ENGINES)}")
        self.name = name
        self.threads = threads or os.cpu_count() or 1  # also sizes in-process work (classify.py)
        if name == "duckdb":
            if temp_directory is None:
                spill = tempfile.mkdtemp(prefix="distillgov-duckdb-")
                weakref.finalize(self, shutil.rmtree, spill, ignore_errors=True)
            else:
                spill = str(temp_directory)
            self.backend: Any = ibis.duckdb.connect()
            self.backend.raw_sql("SET TimeZone = 'UTC'")
            # bounded, spilling to disk beyond it, so a run's footprint does not grow with the input
            self.backend.raw_sql(f"SET memory_limit = '{memory_limit}'")
            self.backend.raw_sql("SET temp_directory = '{}'".format(spill.replace("'", "''")))
            # results are aggregates: row order within a query's output does not matter, and
            # keeping it would make DuckDB buffer more
            self.backend.raw_sql("SET preserve_insertion_order = false")
            if threads:
                self.backend.raw_sql(f"SET threads = {int(threads)}")
        else:
            self._spark = spark_session or spark_session_from_environment()
            self.backend = ibis.pyspark.connect(self._spark)

    def read(self, paths: Sequence[Path]) -> Source:
        """The exchanges of all inputs as one table with every column detection reads."""
        files = parquet_files(paths)
        absent = check_columns(files)
        if self.name == "duckdb":
            table = self.backend.read_parquet([str(p) for p in files], union_by_name=True)
        else:  # Ibis's Spark reader takes one path; the session reads many
            frame = self._spark.read.option("mergeSchema", "true").parquet(*[str(p) for p in files])
            frame.createOrReplaceTempView("distillgov_exchanges")
            table = self.backend.table("distillgov_exchanges")
        return Source(complete_columns(table, absent), describe_inputs(files, self.threads), absent)

    def prompt_digest(self, *, stable: bool) -> Callable[[ir.StringValue], ir.Value]:
        """How prompts become replay keys inside the engine.

        `stable` (for `--state`): MD5, the same on DuckDB and Spark and across versions, so that
        a state written today still matches next year's prompts. Otherwise a 64-bit hash, about
        2.5 times cheaper than MD5 over a week's prompts (~5 GB of text at 10M exchanges): its
        values differ between engines, but only equality within one run reaches the findings,
        and a collision among an account's prompts is a ~1e-10 event. Spark's `hash` is 32-bit,
        so Spark uses `xxhash64`.
        """
        if stable:
            return lambda text: text.hexdigest("md5")
        if self.name == "pyspark":
            return _spark_xxhash64
        return lambda text: text.hash()

    def to_arrow(self, expr: ir.Table) -> Any:
        """Execute an expression and return a pyarrow Table."""
        return expr.to_pyarrow()


@ibis.udf.scalar.builtin(name="xxhash64")  # type: ignore[untyped-decorator]
def _xxhash64(value: str) -> int:  # type: ignore[empty-body]
    """Spark's built-in 64-bit xxHash (Ibis's `hash` maps to Spark's 32-bit Murmur3)."""


def _spark_xxhash64(text: ir.StringValue) -> ir.Value:
    digest: ir.Value = _xxhash64(text)
    return digest


SPARK_MASTER_VARIABLE = "DISTILLGOV_SPARK_MASTER"


def spark_session_from_environment() -> Any:
    """The session `--engine pyspark` uses: a cluster when DISTILLGOV_SPARK_MASTER names one.

    `DISTILLGOV_SPARK_MASTER=spark://host:7077` (or `yarn`, `k8s://...`) runs on that cluster;
    `SPARK_REMOTE=sc://host:15002` is honoured by pyspark itself (Spark Connect). Otherwise local
    mode on two cores.
    """
    from pyspark.sql import SparkSession

    master = os.environ.get(SPARK_MASTER_VARIABLE)
    if master is None:
        return local_spark_session()
    return (
        SparkSession.builder.master(master)
        .appName("distillgov-detect")
        .config("spark.sql.session.timeZone", "UTC")
        .getOrCreate()
    )


def local_spark_session(cores: int = 2) -> Any:
    """A local Spark session with UTC semantics; a cluster is configured through Spark itself."""
    from pyspark.sql import SparkSession

    return (
        SparkSession.builder.master(f"local[{cores}]")
        .appName("distillgov-detect")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", str(cores))  # partials are small: few partitions
        .getOrCreate()
    )
