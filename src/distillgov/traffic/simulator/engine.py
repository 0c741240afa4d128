"""`simulate()`: plan, generate in account blocks, sort by time out of core, render and write.

Memory stays bounded by the block size (generation), DuckDB's memory limit (sort) and the
batch size (rendering), not by the number of rows, so 10M+ rows run on a laptop.
"""

from __future__ import annotations

import itertools
import shutil
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from distillgov.traffic.simulator.arrowops import value_counts
from distillgov.traffic.simulator.corrupt import CORRUPTIONS_SCHEMA, Corruptor
from distillgov.traffic.simulator.generate import block_bounds, generate_block
from distillgov.traffic.simulator.manifest import manifest, write_labels, write_manifest
from distillgov.traffic.simulator.plan import DAY_US, Plan, make_plan
from distillgov.traffic.simulator.progress import Reporter, Silent
from distillgov.traffic.simulator.prompts import load_prompt_pool
from distillgov.traffic.simulator.render import Renderer, ids
from distillgov.traffic.simulator.scenarios import get_scenario
from distillgov.traffic.simulator.templates import Corpus, build_corpus
from distillgov.traffic.simulator.writer import (
    FORMATS,
    connect,
    sort_parts,
    sorted_batches,
    write_file,
    write_part,
)

EXCHANGES = "exchanges"


@dataclass(frozen=True)
class SimulationConfig:
    out: Path
    rows: int
    days: int = 7
    start: date = date(2026, 11, 16)
    seed: int = 0
    scenario: str = "default"
    format: str = "parquet"
    split_by_day: bool = False
    completion_chars: int = 240
    corrupt_rate: float = 0.0
    rows_per_block: int = 500_000
    batch_rows: int = 131_072
    memory_limit: str = "1GB"
    threads: int | None = None

    def parameters(self) -> dict[str, Any]:
        """What decides the output (paths and tuning knobs do not)."""
        return {
            "rows": self.rows,
            "days": self.days,
            "start": self.start.isoformat(),
            "format": self.format,
            "split_by_day": self.split_by_day,
            "completion_chars": self.completion_chars,
            "corrupt_rate": self.corrupt_rate,
        }


@dataclass(frozen=True)
class SimulationResult:
    files: list[Path]
    labels: Path
    manifest: Path
    corruptions: Path | None
    rows: int
    rows_by_population: dict[str, int]


_CORPUS: Corpus | None = None


def corpus() -> Corpus:
    """The prompt corpus, built once per process (the ShareGPT parse itself is cached on disk)."""
    global _CORPUS
    if _CORPUS is None:
        _CORPUS = build_corpus(load_prompt_pool())
    return _CORPUS


def _generate(plan: Plan, staging: Path, config: SimulationConfig, reporter: Reporter) -> list[Path]:
    reporter.stage("generating", plan.rows)
    parts = []
    for block, (first, last) in enumerate(block_bounds(plan, config.rows_per_block)):
        table = generate_block(plan, corpus(), first, last, block)
        path = staging / f"part-{block:05d}.parquet"
        write_part(table, path)
        parts.append(path)
        reporter.advance(table.num_rows)
    return parts


def prefetch(items: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    """Produce the next batch on a worker thread while the caller consumes this one.

    Rendering and Parquet/JSON encoding both run in Arrow's C++ with the GIL released, so on
    two cores overlapping them hides most of the rendering time. Order is unchanged.
    """
    with ThreadPoolExecutor(max_workers=1) as pool:
        pending: Future[pa.RecordBatch | None] = pool.submit(next, items, None)
        while (batch := pending.result()) is not None:
            pending = pool.submit(next, items, None)
            yield batch


def _day_slices(
    batches: Iterator[pa.RecordBatch], start_us: int, split: bool
) -> Iterator[tuple[int, pa.RecordBatch]]:
    """Cut time-sorted batches where the UTC day changes (or not at all)."""
    for batch in batches:
        if not split:
            yield 0, batch
            continue
        day = (batch.column("ts").to_numpy() - start_us) // DAY_US
        cuts = np.flatnonzero(np.diff(day)) + 1
        for lo, hi in zip(np.r_[0, cuts], np.r_[cuts, len(day)], strict=True):
            yield int(day[lo]), batch.slice(int(lo), int(hi - lo))


class _Output:
    """Renders, corrupts and writes the sorted rows, file by file, keeping count and records."""

    def __init__(self, plan: Plan, config: SimulationConfig, reporter: Reporter) -> None:
        self.plan, self.config, self.reporter = plan, config, reporter
        self.format = FORMATS[config.format]
        self.renderer = Renderer(
            plan, corpus(), config.completion_chars, self.format.text, relaxed=config.corrupt_rate > 0
        )
        self.corruptor = (
            Corruptor(plan.seed, config.corrupt_rate, self.format.text) if config.corrupt_rate > 0 else None
        )
        self.position = 0
        self.records: list[pa.Table] = []
        self.files: list[tuple[Path, int]] = []

    def _name(self, day: int) -> Path:
        if not self.config.split_by_day:
            return self.config.out / f"{EXCHANGES}.{self.format.name}"
        when = self.config.start + timedelta(days=day)
        return self.config.out / EXCHANGES / f"{when.isoformat()}.{self.format.name}"

    def _rendered(self, slices: Iterator[tuple[int, pa.RecordBatch]], path: Path) -> Iterator[pa.RecordBatch]:
        first = self.position
        relative = path.relative_to(self.config.out).as_posix()
        for _, narrow in slices:
            positions = np.arange(self.position, self.position + narrow.num_rows, dtype=np.int64)
            batch = self.renderer.render(narrow, self.position)
            if self.corruptor is not None:
                batch, record = self.corruptor.apply(
                    batch, positions, first, relative, lambda p: ids(self.plan, "request_id", p)
                )
                self.records.append(record)
            self.position += narrow.num_rows
            self.reporter.advance(narrow.num_rows)
            yield batch

    def write(self, con: duckdb.DuckDBPyConnection, sorted_path: Path) -> None:
        self.reporter.stage("writing", self.plan.rows)
        slices = _day_slices(
            sorted_batches(sorted_path, self.config.batch_rows),
            self.plan.window.start_us,
            self.config.split_by_day,
        )
        for day, group in itertools.groupby(slices, key=lambda item: item[0]):
            path = self._name(day)
            path.parent.mkdir(parents=True, exist_ok=True)
            before = self.position
            write_file(con, path, self.format, self.renderer.schema, prefetch(self._rendered(group, path)))
            self.files.append((path, self.position - before))

    def write_corruptions(self) -> tuple[Path | None, dict[str, Any] | None]:
        if self.corruptor is None:
            return None, None
        table = pa.concat_tables([CORRUPTIONS_SCHEMA.empty_table(), *self.records])
        path = self.config.out / "corruptions.parquet"
        pq.write_table(table, path, compression="zstd")
        by_reason = value_counts(table.column("reason").combine_chunks())
        return path, {"path": path.name, "rows": table.num_rows, "by_reason": by_reason}


def simulate(config: SimulationConfig, reporter: Reporter | None = None) -> SimulationResult:
    """Write exchanges, labels.parquet, scenario.json (and corruptions.parquet) under `config.out`."""
    if config.format not in FORMATS:
        raise ValueError(f"unknown format {config.format!r}; choose from {', '.join(FORMATS)}")
    if not 0.0 <= config.corrupt_rate < 1.0:
        raise ValueError("corrupt rate must be in [0, 1)")
    reporter = reporter or Silent()
    reporter.stage("planning accounts", None)
    start = datetime(config.start.year, config.start.month, config.start.day, tzinfo=UTC)
    start_us = int(start.timestamp()) * 1_000_000
    plan = make_plan(
        get_scenario(config.scenario), config.rows, config.days, start_us, config.seed, corpus().templates
    )
    config.out.mkdir(parents=True, exist_ok=True)
    staging = config.out / ".staging"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    try:
        parts = _generate(plan, staging, config, reporter)
        reporter.stage("sorting by time", None)
        sorted_path = staging / "sorted.parquet"
        # The sort gets its own connection, closed before writing so its buffers are released.
        with connect(staging / "duckdb-sort", config.memory_limit, config.threads) as con:
            sort_parts(con, parts, sorted_path, config.batch_rows)
        for part in parts:
            part.unlink()
        output = _Output(plan, config, reporter)
        with connect(staging / "duckdb-write", config.memory_limit, config.threads) as con:
            output.write(con, sorted_path)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    corruptions_path, corruptions = output.write_corruptions()
    labels = config.out / "labels.parquet"
    write_labels(plan, labels)
    pool = corpus()
    prompt_source = {
        "dataset": pool.prompt_source,
        "conversations": len(pool.chat_turns),
        "human_turns": int(pool.chat_turns.sum()),
    }
    document = manifest(plan, config.parameters(), output.files, config.out, prompt_source, corruptions)
    manifest_path = config.out / "scenario.json"
    write_manifest(document, manifest_path)
    return SimulationResult(
        files=[path for path, _ in output.files],
        labels=labels,
        manifest=manifest_path,
        corruptions=corruptions_path,
        rows=plan.rows,
        rows_by_population=document["rows_by_population"],
    )
