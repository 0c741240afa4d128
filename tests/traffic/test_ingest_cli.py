"""`distillgov ingest`, `keygen` and `store-info` through the real CLI app."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from ingest_helpers import jsonl_bytes, row, rows, store_rows, write_csv, write_jsonl, write_parquet
from typer.testing import CliRunner

from distillgov.cli import app
from distillgov.provenance import sha256_file

runner = CliRunner()


def invoke(*args: str | Path) -> tuple[int, str]:
    result = runner.invoke(app, [str(a) for a in args])
    return result.exit_code, result.output


def test_ingest_every_format_from_files_folders_and_globs(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    (logs / "nested").mkdir(parents=True)
    write_jsonl(logs / "a.jsonl.gz", rows(5))
    write_csv(logs / "nested" / "b.csv", rows(4, start=5))
    write_parquet(tmp_path / "c.parquet", rows(3, start=9))
    write_jsonl(tmp_path / "d1.jsonl", rows(2, start=12))
    write_jsonl(tmp_path / "d2.jsonl", rows(2, start=14))
    (logs / "README.md").write_text("not a log")
    code, output = invoke(
        "ingest", logs, tmp_path / "c.parquet", tmp_path / "d*.jsonl", "--out", tmp_path / "store"
    )
    assert code == 0, output
    assert "rows read 16, stored 16, rejected 0" in output
    assert len(store_rows(tmp_path / "store")) == 16
    code, output = invoke("store-info", tmp_path / "store")
    assert code == 0
    assert "rows 16" in output and "accounts 7" in output and "days 3" in output
    assert "frontier-large: 16" in output


def test_rejections_are_counted_and_only_too_many_fail_the_run(tmp_path: Path) -> None:
    records = rows(200)
    records[3]["timestamp"] = "2025-03-01T10:00:00"
    records[7]["input_tokens"] = -4
    source = write_jsonl(tmp_path / "a.jsonl", records)
    code, output = invoke("ingest", source, "--out", tmp_path / "s1")
    assert code == 0, output  # 2 of 200 = 1%: not more than the default 1%
    assert "ambiguous_timestamp: 1" in output and "negative_count: 1" in output
    code, output = invoke("ingest", source, "--out", tmp_path / "s2", "--max-reject-rate", "0.005")
    assert code == 1
    assert "2 of 200 rows rejected" in output
    assert len(store_rows(tmp_path / "s2")) == 198  # valid rows are stored all the same


def test_an_unreadable_file_fails_the_run_after_the_others_are_ingested(tmp_path: Path) -> None:
    good = write_jsonl(tmp_path / "good.jsonl", rows(3))
    fake = tmp_path / "fake.jsonl.gz"
    fake.write_bytes(jsonl_bytes(rows(2)))
    corrupt = tmp_path / "corrupt.parquet"
    corrupt.write_bytes(b"PAR1" + bytes(range(256)) * 4 + b"PAR1")
    junk = tmp_path / "junk.jsonl"
    junk.write_bytes(bytes(range(256)) * 8)
    missing = tmp_path / "missing.jsonl"
    sources = [good, fake, corrupt, junk, missing, tmp_path / "none-*.csv"]
    code, output = invoke("ingest", *sources, "--out", tmp_path / "store")
    assert code == 2
    assert len(store_rows(tmp_path / "store")) == 3
    assert f"{fake}: named as gzip but is not gzip" in output
    assert f"{corrupt}: not a readable Parquet file" in output
    assert f"{junk}: binary content" in output
    assert f"{missing}: file not found" in output
    assert "pattern matches no files" in output
    manifest = json.loads(next((tmp_path / "store" / "manifests").glob("*.json")).read_text())
    assert manifest["counts"]["files_failed"] == 5


def test_quiet_prints_nothing_but_errors(tmp_path: Path) -> None:
    code, output = invoke(
        "ingest", write_jsonl(tmp_path / "a.jsonl", rows(2)), "--out", tmp_path / "store", "--quiet"
    )
    assert code == 0 and output == ""


def test_manifest_records_inputs_settings_and_counts(tmp_path: Path) -> None:
    records = [*rows(3), row(3, model=None)]
    source = tmp_path / "a.jsonl.gz"
    source.write_bytes(gzip.compress(jsonl_bytes(records)))
    code, _ = invoke("ingest", source, "--out", tmp_path / "store", "--max-reject-rate", "0.5")
    assert code == 0
    (path,) = (tmp_path / "store" / "manifests").glob("*.json")
    manifest = json.loads(path.read_text())
    assert manifest["tool"]["name"] == "distillgov"
    assert path.stem == manifest["ingest_id"]
    (entry,) = manifest["inputs"]
    assert entry["sha256"] == sha256_file(source)
    assert (entry["format"], entry["compression"], entry["rows_read"], entry["rows_stored"]) == (
        "jsonl",
        "gzip",
        4,
        3,
    )
    assert manifest["counts"]["by_reason"] == {"missing_required": 1}
    assert manifest["parameters"]["max_reject_rate"] == 0.5
    assert manifest["pseudonymization"] is None
    assert manifest["outputs"]["quarantine"] == f"quarantine/{manifest['ingest_id']}.parquet"


def test_format_option_reads_files_with_unknown_names(tmp_path: Path) -> None:
    source = write_csv(tmp_path / "export.log", rows(2))
    code, output = invoke("ingest", source, "--out", tmp_path / "s1")
    assert code == 2 and "pass --format" in output
    code, output = invoke("ingest", source, "--out", tmp_path / "s2", "--format", "csv")
    assert code == 0, output
    assert len(store_rows(tmp_path / "s2")) == 2


def test_naive_timestamps_are_rejected_unless_declared_utc(tmp_path: Path) -> None:
    source = write_jsonl(tmp_path / "a.jsonl", [row(0, timestamp="2025-03-01 10:00:00")])
    code, output = invoke("ingest", source, "--out", tmp_path / "s1")
    assert code == 1 and "ambiguous_timestamp: 1" in output
    code, output = invoke("ingest", source, "--out", tmp_path / "s2", "--naive-timestamps", "utc")
    assert code == 0, output
    (stored,) = store_rows(tmp_path / "s2")
    assert stored["timestamp"].isoformat() == "2025-03-01T10:00:00+00:00"


def test_keygen_and_pseudonymized_ingest(tmp_path: Path) -> None:
    key = tmp_path / "secret.key"
    code, output = invoke("keygen", key)
    assert code == 0 and "fingerprint" in output
    assert invoke("keygen", key)[0] == 2  # never overwrite a key by accident
    code, output = invoke(
        "ingest",
        write_jsonl(tmp_path / "a.jsonl", rows(3)),
        "--out",
        tmp_path / "store",
        "--pseudonymize",
        key,
    )
    assert code == 0, output
    info = json.loads(invoke("store-info", tmp_path / "store", "--json")[1])
    manifest = json.loads(next((tmp_path / "store" / "manifests").glob("*.json")).read_text())
    assert info["pseudonymized_key"] == manifest["pseudonymization"]["key_fingerprint"]
    assert key.read_text().strip() not in json.dumps(manifest)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--pseudonymize", "absent.key"], "distillgov keygen"),
        (["--mapping", "no-such-mapping.yaml"], "shipped mappings"),
    ],
)
def test_bad_settings_stop_before_any_work(tmp_path: Path, args: list[str], message: str) -> None:
    code, output = invoke(
        "ingest", write_jsonl(tmp_path / "a.jsonl", rows(1)), "--out", tmp_path / "store", *args
    )
    assert code == 2 and message in output
    assert not (tmp_path / "store" / "exchanges").exists()


def test_store_info_of_a_folder_that_is_not_a_store(tmp_path: Path) -> None:
    code, output = invoke("store-info", tmp_path)
    assert code == 2 and "not a distillgov store" in output
