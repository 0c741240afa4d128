"""`distillgov ingest` as a library call: sources in, normalized store + quarantine + manifest out.

The run streams each file batch by batch through read -> map and validate -> privacy ->
partitioned write, so memory stays bounded by a few batches whatever the file size. Reading,
validation and writing run in separate threads (all three spend their time in Arrow, DuckDB
and zlib code that releases the GIL), connected by short queues.

Bad rows go to the quarantine and never stop the run. A file that cannot be read at all is
reported by name and the other files are still ingested. The manifest records what was read
(with sha256), the settings, the counts per reason and the key fingerprint.
"""

from __future__ import annotations

import contextlib
import glob
import json
import os
import secrets
import shutil
import threading
from collections import Counter, deque
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from distillgov.provenance import sha256_file, tool_block
from distillgov.traffic.dedupe import find_duplicates, remove_duplicates
from distillgov.traffic.mapping import CANONICAL, Mapping, load_mapping
from distillgov.traffic.normalize import DATE_COLUMN, Validator, positions_of
from distillgov.traffic.pipeline import Worker, prefetch
from distillgov.traffic.pseudonymize import Pseudonymizer, fingerprint, load_key
from distillgov.traffic.quarantine import QuarantineWriter
from distillgov.traffic.readers import (
    ROW_COLUMN,
    Format,
    SourceBatch,
    SourceFile,
    UnreadableFileError,
    is_supported,
    open_source,
)
from distillgov.traffic.signature import SIGNATURE_TYPE, minhash_signatures
from distillgov.traffic.store import (
    MANIFESTS,
    QUARANTINE,
    STAGING,
    STORE_SCHEMA,
    IngestLock,
    PartitionedWriter,
    StoreSettings,
    commit,
    prepare_store,
)

_GLOB_CHARACTERS = frozenset("*?[")
_MAX_LANES = 4  # Parquet writer threads
_MAX_VALIDATORS = 2  # validation threads; DuckDB itself uses more cores per batch
OTEL_MAPPING = "otel_genai"
_WRITE_BUFFER = 64 << 20  # rows waiting for a full row group, over all writer lanes


@dataclass(frozen=True)
class IngestOptions:
    """Everything that changes what an ingest writes; recorded in the manifest."""

    store: Path
    format: Format | None = None
    mapping: Mapping = CANONICAL
    naive_timestamps_utc: bool = False
    key_file: Path | None = None
    drop_text: bool = False
    max_reject_rate: float = 0.01


@dataclass
class FileReport:
    """What happened to one input file."""

    path: str
    format: str | None = None
    compression: str | None = None
    mapping: str | None = None
    size: int | None = None
    sha256: str | None = None
    rows_read: int = 0
    rows_stored: int = 0
    rows_rejected: int = 0
    skipped: dict[str, int] = field(default_factory=dict)
    error: str | None = None
    hashing: Future[str] | None = field(default=None, repr=False, compare=False)

    def manifest_entry(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name != "hashing"}


@dataclass
class IngestResult:
    ingest_id: str
    store: Path
    files: list[FileReport]
    by_reason: Counter[str]
    manifest: Path
    quarantine: Path | None

    @property
    def rows_read(self) -> int:
        return sum(f.rows_read for f in self.files)

    @property
    def rows_stored(self) -> int:
        return sum(f.rows_stored for f in self.files)

    @property
    def rows_rejected(self) -> int:
        return sum(f.rows_rejected for f in self.files)

    @property
    def reject_rate(self) -> float:
        return self.rows_rejected / self.rows_read if self.rows_read else 0.0

    @property
    def failed_files(self) -> list[FileReport]:
        return [f for f in self.files if f.error is not None]


def expand_sources(sources: Iterable[str]) -> tuple[list[Path], list[FileReport]]:
    """Files named directly, found in folders (recursively) or matched by globs, each once.

    A folder contributes only files with a known log extension; a file named directly is read
    whatever its name (its content decides). A glob or folder that yields nothing is an error.
    """
    files: list[Path] = []
    problems: list[FileReport] = []
    for source in sources:
        path = Path(source)
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.is_file() and is_supported(p))
            if not found:
                problems.append(FileReport(source, error="folder holds no .jsonl/.json/.csv/.parquet files"))
            files += found
        elif not path.exists() and _GLOB_CHARACTERS & set(source):
            matched = sorted(Path(p) for p in glob.glob(source, recursive=True) if Path(p).is_file())  # noqa: PTH207 (absolute patterns)
            if not matched:
                problems.append(FileReport(source, error="pattern matches no files"))
            files += matched
        else:
            files.append(path)  # a missing file is reported when it is opened
    unique: dict[Path, Path] = {}
    for path in files:
        unique.setdefault(path.resolve(), path)
    return list(unique.values()), problems


class _Lanes:
    """Several partitioned writers, each in its own thread, so that Parquet encoding and
    compression (the most expensive step) use more than one core. Each lane writes its own
    files; a batch goes to the lane with the shortest queue."""

    def __init__(self, staging: Path, ingest_id: str, lanes: int) -> None:
        self._writers = [
            PartitionedWriter(staging, f"{ingest_id}-{lane}", buffer_bytes=_WRITE_BUFFER // lanes)
            for lane in range(lanes)
        ]
        self._workers = [
            Worker(writer.write, depth=1, name=f"distillgov-writer-{n}")
            for n, writer in enumerate(self._writers)
        ]

    def write(self, table: pa.Table) -> None:
        min(self._workers, key=lambda worker: worker.backlog).submit(table)

    def close(self) -> list[Path]:
        for worker in self._workers:
            worker.close()
        return [path for writer in self._writers for path in writer.close()]


@dataclass(frozen=True)
class _Processed:
    """One batch after validation: rows for the store and rejections for the quarantine."""

    stored: pa.Table | None
    rejected: pa.Table | None


class _Ingest:
    """One run: owns the validators, the privacy transforms, the writers and the quarantine.

    Batches of a file are validated by a small pool of threads, each with its own DuckDB
    connection; results are taken back in order, so the quarantine and the progress follow the
    file. Row order in the store does not matter: every row carries its source line.
    """

    def __init__(
        self, options: IngestOptions, ingest_id: str, staging: Path, quarantine: QuarantineWriter
    ) -> None:
        self.options = options
        self.ingest_id = ingest_id
        self.quarantine = quarantine
        cores = os.cpu_count() or 1
        self._threads = max(1, min(_MAX_VALIDATORS, cores))
        self._pool = ThreadPoolExecutor(max_workers=self._threads, thread_name_prefix="distillgov-validate")
        self._local = threading.local()
        self.pseudonymizer = Pseudonymizer(load_key(options.key_file)) if options.key_file else None
        self._otel_mapping = load_mapping(OTEL_MAPPING)
        self.writer = _Lanes(staging, ingest_id, max(1, min(_MAX_LANES, cores)))

    def _validator(self, mapping: Mapping) -> Validator:
        """This thread's validator for a mapping (DuckDB connections are not shared by threads)."""
        validators: dict[int, Validator] = self._local.__dict__.setdefault("validators", {})
        validator = validators.get(id(mapping))
        if validator is None:
            naive_utc = self.options.naive_timestamps_utc
            validator = Validator(mapping, naive_utc=naive_utc, connection=duckdb.connect())
            validators[id(mapping)] = validator
        return validator

    def _mapping(self, source: SourceFile) -> Mapping:
        """OTLP spans need the OpenTelemetry mapping unless the run names its own."""
        if source.format is Format.OTLP and self.options.mapping is CANONICAL:
            return self._otel_mapping
        return self.options.mapping

    def file(
        self,
        path: Path,
        report: FileReport,
        progress: Callable[[int], None],
        hash_file: Callable[[], Future[str]],
    ) -> None:
        """Ingest one file; `hash_file` starts its sha256 once the file is known to be readable."""
        source = open_source(path, self.options.format)
        report.size = path.stat().st_size
        report.hashing = hash_file()
        report.format, report.compression = source.format.value, source.compression.value
        mapping = self._mapping(source)
        report.mapping = mapping.name
        name = str(path)
        consumed = 0
        pending: deque[tuple[SourceBatch, Future[_Processed]]] = deque()

        def finish() -> None:
            nonlocal consumed
            batch, future = pending.popleft()
            self.quarantine.write(name, batch.rejections)
            processed = future.result()
            if processed.rejected is not None:
                self.quarantine.write_table(name, processed.rejected)
            if processed.stored is not None:
                report.rows_stored += processed.stored.num_rows
                self.writer.write(processed.stored)
            progress(batch.consumed - consumed)
            consumed = batch.consumed

        try:
            for batch in prefetch(source.batches(mapping.string_columns()), depth=1):
                pending.append((batch, self._pool.submit(self._process, mapping, name, batch)))
                if len(pending) > self._threads:
                    finish()
            while pending:
                finish()
        finally:
            for _, future in pending:
                future.cancel()
        report.skipped = dict(source.skipped)

    def _process(self, mapping: Mapping, name: str, batch: SourceBatch) -> _Processed:
        if not batch.table.num_rows:
            return _Processed(None, None)
        checked = self._validator(mapping).check(batch.table)
        rejected = None
        if checked.rejected.num_rows:
            positions = positions_of(batch.table.column(ROW_COLUMN), checked.rejected.column("source_row"))
            raw = pa.array(batch.raw_records(positions), pa.string())
            rejected = checked.rejected.append_column("raw", raw)
        stored = self._store_rows(checked.valid, name) if checked.valid.num_rows else None
        return _Processed(stored, rejected)

    def close(self) -> list[Path]:
        """Stop the validation threads and finish every file; returns the staged files."""
        self._pool.shutdown()
        return self.writer.close()

    def abort(self) -> None:
        """Stop all threads after a failure; what they wrote is discarded with the staging folder."""
        self._pool.shutdown(cancel_futures=True)
        with contextlib.suppress(Exception):
            self.writer.close()

    def _store_rows(self, valid: pa.Table, name: str) -> pa.Table:
        """Lineage and privacy columns, in STORE_SCHEMA order, plus the partition date."""
        n = valid.num_rows
        columns: dict[str, Any] = {c: valid.column(c) for c in valid.column_names}
        columns["source_file"] = pa.array([name] * n, pa.string())
        columns["ingest_id"] = pa.array([self.ingest_id] * n, pa.string())
        if self.options.drop_text:
            columns["prompt_minhash"] = minhash_signatures(valid.column("prompt"))
            columns["prompt"] = pa.nulls(n, pa.string())
            columns["completion"] = pa.nulls(n, pa.string())
        else:
            columns["prompt_minhash"] = pa.nulls(n, SIGNATURE_TYPE)
        table = pa.table({name_: columns[name_] for name_ in [*STORE_SCHEMA.names, DATE_COLUMN]})
        return self.pseudonymizer.apply(table) if self.pseudonymizer else table


def new_ingest_id() -> str:
    """Sortable by time, unique across concurrent machines."""
    return f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"


def ingest(
    sources: Iterable[str],
    options: IngestOptions,
    progress: Callable[[int], None] | None = None,
    *,
    on_total: Callable[[int], None] | None = None,
) -> IngestResult:
    """Ingest the sources into the store; see the module docstring for what is guaranteed.

    `progress` is called with the number of input bytes read since its last call; `on_total`
    once, first, with the size of all inputs.
    """
    advance = progress or (lambda _: None)
    paths, problems = expand_sources(sources)
    store_root = options.store.resolve()
    paths = [p for p in paths if not p.resolve().is_relative_to(store_root)]  # never read the store back
    if on_total is not None:
        on_total(sum(p.stat().st_size for p in paths if p.is_file()))
    key = load_key(options.key_file) if options.key_file else None  # a bad key fails before any work
    settings = StoreSettings(fingerprint(key) if key else None, options.drop_text)
    store = prepare_store(options.store, settings)
    ingest_id = new_ingest_id()
    started = datetime.now(UTC)
    staging = options.store / STAGING / ingest_id
    with IngestLock(options.store):
        # Quarantine and exchanges are written under staging and move into place together.
        quarantine = QuarantineWriter(
            staging / "quarantine.parquet", ingest_id, keep_raw=key is None and not options.drop_text
        )
        run = _Ingest(options, ingest_id, staging, quarantine)
        try:
            reports = list(problems)
            with ThreadPoolExecutor(max_workers=1) as hasher:
                for path in paths:
                    report = FileReport(str(path))
                    reports.append(report)
                    try:
                        run.file(path, report, advance, partial(hasher.submit, sha256_file, path))
                    except (UnreadableFileError, OSError) as error:
                        report.error = getattr(error, "problem", None) or str(error)
                staged = run.close()
                duplicates = find_duplicates(
                    staged, store.exchange_files(), [str(p) for p in paths], staging / "scratch"
                )
                remove_duplicates(duplicates, quarantine)
                for report in reports:
                    if report.hashing is not None:
                        report.sha256 = report.hashing.result()
            quarantine.close()
        except BaseException:
            run.abort()
            quarantine.close()
            shutil.rmtree(staging, ignore_errors=True)
            raise
        removed = Counter(d.source_file for d in duplicates)
        for report in reports:
            report.rows_rejected = quarantine.per_file.get(report.path, 0)
            report.rows_stored -= removed.get(report.path, 0)
            report.rows_read = report.rows_stored + report.rows_rejected
        quarantine_path = options.store / QUARANTINE / f"{ingest_id}.parquet"
        if quarantine.path is not None:
            quarantine_path.parent.mkdir(parents=True, exist_ok=True)
            quarantine.path.replace(quarantine_path)
        written = commit(staging, store)
        result = IngestResult(
            ingest_id,
            options.store,
            reports,
            quarantine.counts,
            options.store / MANIFESTS / f"{ingest_id}.json",
            quarantine_path if quarantine.path is not None else None,
        )
        _write_manifest(result, options, settings, started, written)
    return result


def _write_manifest(
    result: IngestResult,
    options: IngestOptions,
    settings: StoreSettings,
    started: datetime,
    written: list[Path],
) -> None:
    document = {
        "tool": tool_block(),
        "ingest_id": result.ingest_id,
        "started_at": started.isoformat(),
        "finished_at": datetime.now(UTC).isoformat(),
        "parameters": {
            "format": options.format.value if options.format else "auto",
            "mapping": options.mapping.name,
            "naive_timestamps": "utc"
            if options.naive_timestamps_utc or options.mapping.naive_timestamps_utc
            else "reject",
            "pseudonymize": settings.key_fingerprint is not None,
            "drop_text": options.drop_text,
            "max_reject_rate": options.max_reject_rate,
        },
        "pseudonymization": {"key_fingerprint": settings.key_fingerprint}
        if settings.key_fingerprint
        else None,
        "inputs": [f.manifest_entry() for f in result.files],
        "counts": {
            "rows_read": result.rows_read,
            "rows_stored": result.rows_stored,
            "rows_rejected": result.rows_rejected,
            "reject_rate": result.reject_rate,
            "by_reason": dict(sorted(result.by_reason.items())),
            "files_failed": len(result.failed_files),
        },
        "outputs": {
            "exchanges": [str(p.relative_to(result.store)) for p in written],
            "quarantine": str(result.quarantine.relative_to(result.store)) if result.quarantine else None,
        },
    }
    result.manifest.parent.mkdir(parents=True, exist_ok=True)
    result.manifest.write_text(json.dumps(document, indent=2) + "\n", "utf-8")
