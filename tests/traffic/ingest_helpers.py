"""Test data for the ingest tests: canonical log rows and writers for every input format."""

from __future__ import annotations

import csv
import gzip
import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import zstandard

from distillgov.traffic.ingest import IngestOptions, IngestResult, ingest


def row(i: int, **overrides: Any) -> dict[str, Any]:
    """One valid exchange in the canonical layout; `overrides` replace or add columns."""
    base: dict[str, Any] = {
        "request_id": f"req-{i:06d}",
        "timestamp": f"2025-03-0{1 + i % 3}T{i % 24:02d}:{i % 60:02d}:00Z",
        "account_id": f"acct-{i % 7}",
        "organization_id": f"org-{i % 3}",
        "api_key_id": f"key-{i % 5}",
        "client_ip": f"203.0.113.{i % 250 + 1}",
        "user_agent": "OpenAI/Python 1.40.0",
        "payment_fingerprint": f"pay-{i % 4}",
        "account_created_at": "2024-11-02T08:00:00+00:00",
        "model": "frontier-large",
        "prompt": f"Explain topic number {i} step by step, please.",
        "completion": f"Here is a careful answer about topic {i}.",
        "input_tokens": 12 + i % 5,
        "output_tokens": 40 + i % 9,
        "max_tokens": 4096,
        "conversation_id": f"conv-{i}",
        "turn_index": 0,
        "status": "ok",
    }
    base.update(overrides)
    return base


def rows(n: int, start: int = 0) -> list[dict[str, Any]]:
    return [row(i) for i in range(start, start + n)]


def jsonl_bytes(records: list[dict[str, Any]]) -> bytes:
    return "".join(json.dumps(r) + "\n" for r in records).encode()


def write_jsonl(path: Path, records: list[dict[str, Any]]) -> Path:
    data = jsonl_bytes(records)
    if path.suffix == ".gz":
        data = gzip.compress(data)
    elif path.suffix == ".zst":
        data = zstandard.ZstdCompressor().compress(data)
    path.write_bytes(data)
    return path


def write_csv(path: Path, records: list[dict[str, Any]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(records[0]))
        writer.writeheader()
        writer.writerows(records)
    return path


def write_parquet(path: Path, records: list[dict[str, Any]]) -> Path:
    pq.write_table(pa.Table.from_pylist(records), path)
    return path


def run_ingest(sources: list[Path | str], store: Path, **options: Any) -> IngestResult:
    return ingest([str(s) for s in sources], IngestOptions(store=store, **options))


def store_rows(store: Path) -> list[dict[str, Any]]:
    """Every stored row, ordered by source file and row."""
    files = sorted((store / "exchanges").glob("date=*/*.parquet"))
    if not files:
        return []
    table = pa.concat_tables(pq.read_table(f, partitioning=None) for f in files)
    return sorted(table.to_pylist(), key=lambda r: (r["source_file"], r["source_row"]))


def quarantine_rows(store: Path) -> list[dict[str, Any]]:
    files = sorted((store / "quarantine").glob("*.parquet"))
    if not files:
        return []
    table = pa.concat_tables(pq.read_table(f) for f in files)
    return sorted(table.to_pylist(), key=lambda r: (r["source_file"], r["source_row"] or 0))
