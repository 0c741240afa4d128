"""The store: day partitions, the DuckDB view, appends, duplicates, privacy settings, locking."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest
from ingest_helpers import quarantine_rows, row, rows, run_ingest, store_rows, write_jsonl

from distillgov.traffic.pseudonymize import generate_key
from distillgov.traffic.store import LOCK_FILE, STORE_SCHEMA, StoreError, open_store


def test_rows_are_partitioned_by_utc_day(tmp_path: Path) -> None:
    records = [
        row(0, timestamp="2025-03-01T23:30:00-02:00"),
        row(1, timestamp="2025-03-02T00:10:00Z"),
        row(2, timestamp="2025-03-01T10:00:00Z"),
    ]
    run_ingest([write_jsonl(tmp_path / "a.jsonl", records)], tmp_path / "store")
    days = sorted(p.parent.name for p in (tmp_path / "store" / "exchanges").glob("*/*.parquet"))
    assert days == ["date=2025-03-01", "date=2025-03-02"]
    con = duckdb.connect()
    store = open_store(tmp_path / "store")
    got = con.sql(f"SELECT request_id, CAST(date AS VARCHAR) FROM {store.scan_sql()} ORDER BY 1").fetchall()
    assert got == [("req-000000", "2025-03-02"), ("req-000001", "2025-03-02"), ("req-000002", "2025-03-01")]


def test_the_store_view_has_the_store_schema_even_when_empty(tmp_path: Path) -> None:
    result = run_ingest([write_jsonl(tmp_path / "bad.jsonl", [row(0, model=None)])], tmp_path / "store")
    assert result.rows_stored == 0
    relation = open_store(tmp_path / "store").relation()
    assert relation.columns == [*STORE_SCHEMA.names, "date"]
    assert relation.fetchall() == []


def test_lineage_columns_point_back_to_the_source(tmp_path: Path) -> None:
    source = write_jsonl(tmp_path / "a.jsonl", rows(3))
    result = run_ingest([source], tmp_path / "store")
    stored = store_rows(tmp_path / "store")
    assert [(r["source_file"], r["source_row"], r["ingest_id"]) for r in stored] == [
        (str(source), line, result.ingest_id) for line in (1, 2, 3)
    ]
    assert all(r["prompt_minhash"] is None for r in stored)


def test_a_second_ingest_appends_new_files(tmp_path: Path) -> None:
    first = run_ingest([write_jsonl(tmp_path / "a.jsonl", rows(3))], tmp_path / "store")
    second = run_ingest([write_jsonl(tmp_path / "b.jsonl", rows(2, start=3))], tmp_path / "store")
    assert first.ingest_id != second.ingest_id
    assert {r["ingest_id"] for r in store_rows(tmp_path / "store")} == {first.ingest_id, second.ingest_id}
    assert len(store_rows(tmp_path / "store")) == 5
    assert len(list((tmp_path / "store" / "manifests").glob("*.json"))) == 2
    assert not list((tmp_path / "store" / ".staging").glob("*/*"))


def test_the_first_occurrence_of_a_request_id_wins(tmp_path: Path) -> None:
    a = write_jsonl(tmp_path / "a.jsonl", [row(0), row(1), row(0, prompt="repeat in same file")])
    b = write_jsonl(tmp_path / "b.jsonl", [row(1, prompt="repeat in next file"), row(2)])
    result = run_ingest([a, b], tmp_path / "store")
    stored = store_rows(tmp_path / "store")
    assert [(r["request_id"], r["source_file"], r["source_row"]) for r in stored] == [
        ("req-000000", str(a), 1),
        ("req-000001", str(a), 2),
        ("req-000002", str(b), 2),
    ]
    duplicates = quarantine_rows(tmp_path / "store")
    assert [(d["source_file"], d["source_row"], d["reason"]) for d in duplicates] == [
        (str(a), 3, "duplicate_request_id"),
        (str(b), 1, "duplicate_request_id"),
    ]
    assert duplicates[0]["detail"] == f"request_id 'req-000000' first seen at {a}:1"
    assert json.loads(duplicates[1]["raw"])["prompt"] == "repeat in next file"
    assert (result.rows_read, result.rows_stored, result.rows_rejected) == (5, 3, 2)
    assert [(f.rows_stored, f.rows_rejected) for f in result.files] == [(2, 1), (1, 1)]


def test_rows_already_in_the_store_win_over_new_ones(tmp_path: Path) -> None:
    old = write_jsonl(tmp_path / "old.jsonl", rows(2))
    run_ingest([old], tmp_path / "store")
    new = write_jsonl(tmp_path / "new.jsonl", [row(1, prompt="resent"), row(5)])
    result = run_ingest([new], tmp_path / "store")
    assert result.by_reason == {"duplicate_request_id": 1}
    stored = {r["request_id"]: r for r in store_rows(tmp_path / "store")}
    assert stored["req-000001"]["source_file"] == str(old)
    (rejected,) = [q for q in quarantine_rows(tmp_path / "store") if q["ingest_id"] == result.ingest_id]
    assert rejected["detail"] == f"request_id 'req-000001' first seen at {old}:2"


def test_privacy_settings_cannot_be_mixed_in_one_store(tmp_path: Path) -> None:
    run_ingest([write_jsonl(tmp_path / "a.jsonl", rows(2))], tmp_path / "store")
    key = tmp_path / "k.key"
    generate_key(key)
    with pytest.raises(StoreError, match=r"raw identifiers.*pseudonymized under key"):
        run_ingest([write_jsonl(tmp_path / "b.jsonl", rows(2, start=2))], tmp_path / "store", key_file=key)
    with pytest.raises(StoreError, match="without prompt/completion text"):
        run_ingest([tmp_path / "b.jsonl"], tmp_path / "store", drop_text=True)


def test_a_folder_that_is_not_a_store_is_refused(tmp_path: Path) -> None:
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "precious.txt").write_text("do not mix")
    with pytest.raises(StoreError, match="not a distillgov store"):
        run_ingest([write_jsonl(tmp_path / "a.jsonl", rows(1))], tmp_path / "elsewhere")
    with pytest.raises(StoreError, match="not a distillgov store"):
        open_store(tmp_path / "elsewhere")


def test_a_running_ingest_locks_the_store(tmp_path: Path) -> None:
    source = write_jsonl(tmp_path / "a.jsonl", rows(1))
    run_ingest([source], tmp_path / "store")
    (tmp_path / "store" / LOCK_FILE).write_text("12345")
    with pytest.raises(StoreError, match="another ingest"):
        run_ingest([source], tmp_path / "store")


def test_a_store_inside_an_input_folder_is_not_read_back(tmp_path: Path) -> None:
    write_jsonl(tmp_path / "a.jsonl", rows(2))
    run_ingest([tmp_path], tmp_path / "store")
    write_jsonl(tmp_path / "b.jsonl", rows(1, start=2))
    result = run_ingest([tmp_path], tmp_path / "store")
    assert [f.path for f in result.files] == [str(tmp_path / "a.jsonl"), str(tmp_path / "b.jsonl")]
    assert result.by_reason == {"duplicate_request_id": 2}
    assert len(store_rows(tmp_path / "store")) == 3
