"""Every rejection reason end to end: what lands in the quarantine file, and what is stored."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pyarrow.parquet as pq
from ingest_helpers import jsonl_bytes, quarantine_rows, row, rows, run_ingest, store_rows, write_jsonl

from distillgov.traffic.quarantine import QUARANTINE_SCHEMA, Reason


def test_each_reason_with_file_line_field_detail_and_raw_record(tmp_path: Path) -> None:
    lines = [
        json.dumps(row(0)),
        json.dumps(row(1, account_id=None)),
        json.dumps(row(2, timestamp="last tuesday")),
        json.dumps(row(3, timestamp="2025-03-01T10:00:00")),
        json.dumps(row(4, timestamp=86_400)),
        json.dumps(row(5, output_tokens=-7)),
        json.dumps(row(6, max_tokens=2.5)),
        json.dumps(row(0, prompt="again")),
        "{broken",
        "[1, 2]",
    ]
    source = tmp_path / "mixed.jsonl"
    latin1 = '{"prompt": "café"}'.encode("latin-1")  # not UTF-8
    source.write_bytes("\n".join(lines).encode() + b"\n" + latin1 + b"\n")
    csv_source = tmp_path / "short.csv"
    csv_source.write_text(
        "request_id,timestamp,account_id,model\nc1,2025-03-01T00:00:00Z,a,m\nc2,2025-03-01T00:00:00Z\n"
    )
    truncated = tmp_path / "cut.jsonl.gz"
    data = gzip.compress(jsonl_bytes(rows(40, start=100)))
    truncated.write_bytes(data[:-30])
    result = run_ingest([source, csv_source, truncated], tmp_path / "store", max_reject_rate=1.0)

    quarantined = quarantine_rows(tmp_path / "store")
    found = {(q["source_file"], q["source_row"], q["reason"], q["field"]) for q in quarantined}
    m, c, t = str(source), str(csv_source), str(truncated)
    assert {
        (m, 2, Reason.MISSING_REQUIRED, "account_id"),
        (m, 3, Reason.UNPARSEABLE_TIMESTAMP, "timestamp"),
        (m, 4, Reason.AMBIGUOUS_TIMESTAMP, "timestamp"),
        (m, 5, Reason.TIMESTAMP_OUT_OF_RANGE, "timestamp"),
        (m, 6, Reason.NEGATIVE_COUNT, "output_tokens"),
        (m, 7, Reason.NON_INTEGER_COUNT, "max_tokens"),
        (m, 8, Reason.DUPLICATE_REQUEST_ID, "request_id"),
        (m, 9, Reason.INVALID_JSON, None),
        (m, 10, Reason.NOT_AN_OBJECT, None),
        (m, 11, Reason.INVALID_UTF8, None),
        (c, 3, Reason.WRONG_COLUMN_COUNT, None),
    } <= found
    (broken,) = [q for q in quarantined if q["reason"] == Reason.TRUNCATED_INPUT]
    assert broken["source_file"] == t and "without its end-of-stream marker" in broken["detail"]
    by_line = {(q["source_file"], q["source_row"]): q for q in quarantined}
    assert by_line[(m, 3)]["raw"] == lines[2]  # the record exactly as read
    assert by_line[(m, 11)]["raw"] == '{"prompt": "caf\\xe9"}'
    assert "'last tuesday'" in by_line[(m, 3)]["detail"]
    (quarantine_file,) = (tmp_path / "store" / "quarantine").glob("*.parquet")
    assert pq.read_schema(quarantine_file) == QUARANTINE_SCHEMA

    stored = store_rows(tmp_path / "store")
    assert {r["request_id"] for r in stored if r["source_file"] == m} == {"req-000000"}
    assert [r["request_id"] for r in stored if r["source_file"] == c] == ["c1"]
    complete = [r for r in stored if r["source_file"] == t]
    assert 0 < len(complete) < 40 and broken["source_row"] == len(complete) + 1
    assert result.rows_read == result.rows_stored + result.rows_rejected == len(stored) + len(quarantined)


def test_a_clean_run_writes_no_quarantine(tmp_path: Path) -> None:
    result = run_ingest([write_jsonl(tmp_path / "a.jsonl", rows(3))], tmp_path / "store")
    assert result.quarantine is None and result.rows_rejected == 0
    assert not (tmp_path / "store" / "quarantine").exists()
