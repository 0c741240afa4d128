"""The simulator's files: contract schema, exact row counts, labels, formats, determinism, faults, CLI."""

from __future__ import annotations

import csv
import gzip
import io
import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import zstandard
from typer.testing import CliRunner

from distillgov.cli import app
from distillgov.provenance import sha256_file
from distillgov.traffic.schema import EXCHANGE_SCHEMA
from distillgov.traffic.simulator import SCENARIOS, SimulationConfig, simulate
from distillgov.traffic.simulator.corrupt import BAD_TIMESTAMPS
from distillgov.traffic.simulator.populations import PRESETS


@pytest.fixture(autouse=True, scope="module")
def _private_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DISTILLGOV_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
        yield


def _run(out: Path, **options: object) -> SimulationConfig:
    config = SimulationConfig(out=out, **{"rows": 3_000, "seed": 3, **options})  # type: ignore[arg-type]
    simulate(config)
    return config


def _read_text_rows(path: Path) -> list[dict[str, object]]:
    name = path.name
    if name.endswith(".csv"):
        with path.open(newline="", encoding="utf-8") as handle:
            return list(csv.DictReader(handle))
    raw = path.read_bytes()
    if name.endswith(".gz"):
        raw = gzip.decompress(raw)
    elif name.endswith(".zst"):
        raw = zstandard.ZstdDecompressor().stream_reader(io.BytesIO(raw)).read()
    # Split on "\n" only: JSON leaves U+2028 and friends unescaped, and str.splitlines() would cut there.
    return [json.loads(line) for line in raw.decode("utf-8").split("\n") if line]


def test_parquet_has_the_contract_schema_and_exact_rows(tmp_path: Path) -> None:
    _run(tmp_path, rows=4_321)
    table = pq.read_table(tmp_path / "exchanges.parquet")
    assert table.schema.equals(EXCHANGE_SCHEMA, check_metadata=True)
    assert table.num_rows == 4_321
    times = table.column("timestamp").to_numpy()
    assert (times[1:] >= times[:-1]).all(), "rows are sorted by time"
    assert len(set(table.column("request_id").to_pylist())) == table.num_rows


@pytest.mark.parametrize("fmt", ["jsonl", "jsonl.gz", "jsonl.zst", "csv"])
def test_text_formats_read_back_with_explicit_utc(tmp_path: Path, fmt: str) -> None:
    _run(tmp_path, format=fmt)
    rows = _read_text_rows(tmp_path / f"exchanges.{fmt}")
    assert len(rows) == 3_000
    assert list(rows[0]) == EXCHANGE_SCHEMA.names
    for row in rows[:200]:
        for column in ("timestamp", "account_created_at"):
            text = str(row[column])
            assert text.endswith("Z")
            assert datetime.fromisoformat(text).utcoffset() is not None


def test_split_by_day_writes_one_file_per_utc_day(tmp_path: Path) -> None:
    _run(tmp_path, split_by_day=True, days=3, start=datetime(2026, 11, 20).date())
    files = sorted((tmp_path / "exchanges").glob("*.parquet"))
    assert [f.name for f in files] == ["2026-11-20.parquet", "2026-11-21.parquet", "2026-11-22.parquet"]
    total = 0
    for path in files:
        table = pq.read_table(path)
        total += table.num_rows
        days = {t.date().isoformat() for t in table.column("timestamp").to_pylist()}
        assert days == {path.stem}
    assert total == 3_000
    manifest = json.loads((tmp_path / "scenario.json").read_text())
    assert sum(f["rows"] for f in manifest["files"]) == 3_000


def test_same_seed_same_bytes_other_seed_other_rows(tmp_path: Path) -> None:
    for fmt in ("parquet", "jsonl.gz", "jsonl.zst"):
        first, second, third = (tmp_path / f"{fmt}-{i}" for i in range(3))
        _run(first, format=fmt)
        _run(second, format=fmt)
        _run(third, format=fmt, seed=4)
        name = f"exchanges.{fmt}"
        assert sha256_file(first / name) == sha256_file(second / name)
        assert sha256_file(first / "labels.parquet") == sha256_file(second / "labels.parquet")
        assert (first / "scenario.json").read_text() == (second / "scenario.json").read_text()
        assert sha256_file(first / name) != sha256_file(third / name)


def test_completion_chars_truncates_text_but_not_token_counts(tmp_path: Path) -> None:
    _run(tmp_path / "short", completion_chars=40)
    _run(tmp_path / "none", completion_chars=0)
    short = pq.read_table(tmp_path / "short" / "exchanges.parquet")
    lengths = [len(c) for c in short.column("completion").to_pylist() if c is not None]
    assert max(lengths) == 40
    assert max(short.column("output_tokens").to_pylist()) > 1_000
    assert pq.read_table(tmp_path / "none" / "exchanges.parquet").column("completion").null_count == 3_000


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_corruptions_file_lists_exactly_the_injected_faults(tmp_path: Path, fmt: str) -> None:
    _run(tmp_path, rows=6_000, format=fmt, corrupt_rate=0.03)
    path = tmp_path / f"exchanges.{fmt}"
    rows = pq.read_table(path).to_pylist() if fmt == "parquet" else _read_text_rows(path)
    records = pq.read_table(tmp_path / "corruptions.parquet").to_pylist()
    assert 0.015 * 6_000 < len(records) < 0.05 * 6_000
    recorded = {(r["record"], r["reason"]) for r in records}
    assert {r["file"] for r in records} == {path.name}
    expected_reasons = {"missing_account_id", "negative_tokens", "duplicate_request_id"}
    if fmt != "parquet":
        expected_reasons.add("unparseable_timestamp")
    assert {reason for _, reason in recorded} == expected_reasons

    found = set()
    seen_ids: set[str] = set()
    for index, row in enumerate(rows):
        if row["account_id"] in (None, ""):
            found.add((index, "missing_account_id"))
        if int(str(row["output_tokens"])) < 0:
            found.add((index, "negative_tokens"))
        if row["request_id"] in seen_ids:
            found.add((index, "duplicate_request_id"))
        seen_ids.add(str(row["request_id"]))
        if fmt != "parquet" and row["timestamp"] in BAD_TIMESTAMPS:
            found.add((index, "unparseable_timestamp"))
    assert found == recorded
    for record in records:
        assert rows[record["record"]]["request_id"] == record["request_id"]


def test_labels_cover_every_account_once(tmp_path: Path) -> None:
    _run(tmp_path, rows=20_000)
    labels = pq.read_table(tmp_path / "labels.parquet").to_pylist()
    exchanges = pq.read_table(tmp_path / "exchanges.parquet", columns=["account_id"])
    accounts = set(exchanges.column("account_id").to_pylist())
    ids = [label["account_id"] for label in labels]
    assert len(ids) == len(set(ids))
    assert set(ids) == accounts
    assert ids == sorted(ids)
    for label in labels:
        assert (label["campaign_id"] is not None) == label["population"].startswith("campaign_")
    manifest = json.loads((tmp_path / "scenario.json").read_text())
    assert sum(manifest["rows_by_population"].values()) == 20_000
    assert manifest["seed"] == 3 and manifest["scenario"] == "default"
    assert manifest["tool"]["name"] == "distillgov"
    assert {c["campaign_id"] for c in manifest["campaigns"]} == {
        label["campaign_id"] for label in labels if label["campaign_id"]
    }


def test_every_scenario_runs_and_scales(tmp_path: Path) -> None:
    for name, scenario in SCENARIOS.items():
        _run(tmp_path / name, rows=2_000, scenario=name)
        manifest = json.loads((tmp_path / name / "scenario.json").read_text())
        assert manifest["rows"] == 2_000
        labels = set(pq.read_table(tmp_path / name / "labels.parquet").column("population").to_pylist())
        assert labels == {PRESETS[preset].label for preset, _ in scenario.mix}


def test_cli_lists_scenarios_and_writes_a_run(tmp_path: Path) -> None:
    runner = CliRunner()
    listing = runner.invoke(app, ["simulate", "--list-scenarios"])
    assert listing.exit_code == 0, listing.output
    for name in SCENARIOS:
        assert name in listing.output
    result = runner.invoke(
        app,
        [
            "simulate",
            "--out",
            str(tmp_path),
            "--rows",
            "1500",
            "--days",
            "2",
            "--start",
            "2026-11-16",
            "--seed",
            "9",
            "--scenario",
            "bot",
            "--format",
            "jsonl",
            "--quiet",
        ],
    )
    assert result.exit_code == 0, result.output
    assert len(_read_text_rows(tmp_path / "exchanges.jsonl")) == 1_500
    bad = runner.invoke(app, ["simulate", "--out", str(tmp_path), "--format", "xml"])
    assert bad.exit_code != 0


def test_schema_contract_type_in_text_formats_is_iso_string(tmp_path: Path) -> None:
    _run(tmp_path, format="jsonl", rows=500)
    row = _read_text_rows(tmp_path / "exchanges.jsonl")[0]
    assert isinstance(row["input_tokens"], int)
    assert isinstance(row["timestamp"], str)
    assert pa.types.is_timestamp(EXCHANGE_SCHEMA.field("timestamp").type)


@pytest.mark.parametrize(("rows", "scenario"), [(1, "default"), (3, "swarm"), (9, "mixed-hard")])
def test_tiny_runs_are_exact(tmp_path: Path, rows: int, scenario: str) -> None:
    _run(tmp_path, rows=rows, days=1, scenario=scenario, format="jsonl", corrupt_rate=0.3)
    assert len(_read_text_rows(tmp_path / "exchanges.jsonl")) == rows
    assert pq.read_table(tmp_path / "labels.parquet").num_rows >= 1
