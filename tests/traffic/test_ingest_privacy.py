"""Privacy modes end to end: no raw identifier or text reaches the store or the quarantine."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pytest
from ingest_helpers import quarantine_rows, row, rows, run_ingest, store_rows, write_jsonl

from distillgov.traffic.pseudonymize import Pseudonymizer, generate_key, load_key
from distillgov.traffic.schema import PSEUDONYMIZED_FIELDS
from distillgov.traffic.signature import minhash_signatures


@pytest.fixture
def key(tmp_path: Path) -> Path:
    path = tmp_path / "pseudonym.key"
    generate_key(path)
    return path


def test_pseudonymized_store_holds_no_raw_identifier(tmp_path: Path, key: Path) -> None:
    records = [*rows(6), row(6, model=None)]
    run_ingest([write_jsonl(tmp_path / "a.jsonl", records)], tmp_path / "store", key_file=key)
    stored = store_rows(tmp_path / "store")
    raw_values = {str(r[f]) for r in records for f in PSEUDONYMIZED_FIELDS}
    for record in stored:
        assert not raw_values & {str(v) for v in record.values()}
    pseudonymizer = Pseudonymizer(load_key(key))
    assert stored[0]["account_id"] == pseudonymizer.token("account_id", records[0]["account_id"])
    assert stored[0]["request_id"] == records[0]["request_id"]  # not an identifier of a person
    # Linkage survives: the same account maps to the same pseudonym.
    same = [r["account_id"] for r, src in zip(stored, records, strict=False) if src["account_id"] == "acct-0"]
    assert len(set(same)) == 1
    (rejected,) = quarantine_rows(tmp_path / "store")
    assert rejected["raw"] is None  # the source file, not the quarantine, is where raw ids stay


def test_pseudonyms_match_across_ingests_under_one_key(tmp_path: Path, key: Path) -> None:
    run_ingest([write_jsonl(tmp_path / "a.jsonl", [row(0)])], tmp_path / "store", key_file=key)
    run_ingest([write_jsonl(tmp_path / "b.jsonl", [row(7)])], tmp_path / "store", key_file=key)
    first, second = store_rows(tmp_path / "store")
    assert first["account_id"] == second["account_id"]  # both acct-0
    assert first["client_ip"].split(".")[0] == second["client_ip"].split(".")[0]  # same /24


def test_drop_text_keeps_lengths_and_signatures_only(tmp_path: Path) -> None:
    records = [*rows(4), row(4, prompt=None), row(5, input_tokens=-1)]
    run_ingest([write_jsonl(tmp_path / "a.jsonl", records)], tmp_path / "store", drop_text=True)
    stored = store_rows(tmp_path / "store")
    assert all(r["prompt"] is None and r["completion"] is None for r in stored)
    assert [r["prompt_chars"] for r in stored] == [
        len(r["prompt"]) if r["prompt"] else None for r in records[:5]
    ]
    expected = minhash_signatures(pa.array([r["prompt"] for r in records[:5]])).to_pylist()
    assert [r["prompt_minhash"] for r in stored] == expected
    assert stored[4]["prompt_minhash"] is None
    text = json.dumps([r for r in stored], default=str)
    assert records[0]["prompt"] not in text and records[0]["completion"] not in text
    (rejected,) = quarantine_rows(tmp_path / "store")
    assert rejected["raw"] is None
