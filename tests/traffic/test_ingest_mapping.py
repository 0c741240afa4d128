"""Column mappings: YAML files, paths into nested and JSON-text columns, the LiteLLM example."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest
from ingest_helpers import run_ingest, store_rows, write_jsonl

from distillgov.traffic.mapping import MappingError, load_mapping, shipped_mappings


def litellm_row(i: int) -> dict[str, Any]:
    """A LiteLLM_SpendLogs row as `row_to_json` exports it (columns per litellm/proxy/schema.prisma)."""
    return {
        "request_id": f"chatcmpl-{i}",
        "call_type": "acompletion",
        "api_key": f"88dc28d0f030c55ed4ab77ed8faf098196cb1c05df778539800c9f1243fe6b4{i % 2}",
        "spend": 0.00042,
        "total_tokens": 57,
        "prompt_tokens": 21,
        "completion_tokens": 36,
        "startTime": f"2025-03-01 10:00:0{i}.123",  # timestamp(3) without time zone, UTC
        "endTime": f"2025-03-01 10:00:0{i}.987",
        "request_duration_ms": 864,
        "completionStartTime": None,
        "model": "gpt-4o-2024-08-06",
        "model_id": "f1b6",
        "model_group": "gpt-4o",
        "custom_llm_provider": "openai",
        "api_base": "https://api.openai.com/v1",
        "user": f"user-{i % 3}",
        "metadata": {
            "user_api_key_user_id": f"user-{i % 3}",
            "user_api_key_alias": "prod",
            "status": "success",
        },
        "cache_hit": "False",
        "cache_key": "",
        "request_tags": ["batch"],
        "team_id": "team-a",
        "organization_id": None,
        "end_user": f"customer-{i}",
        "requester_ip_address": f"192.0.2.{i + 1}",
        "messages": [
            {"role": "system", "content": "You are concise."},
            {"role": "user", "content": [{"type": "text", "text": f"Question {i}?"}]},
        ],
        "response": {
            "id": f"chatcmpl-{i}",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": f"Answer {i}."}}],
        },
        "session_id": f"session-{i}",
        "status": "success",
        "proxy_server_request": {"model": "gpt-4o", "max_tokens": 512, "messages": []},
    }


def check_litellm(stored: list[dict[str, Any]]) -> None:
    first = stored[0]
    assert first["request_id"] == "chatcmpl-0"
    assert first["timestamp"].isoformat() == "2025-03-01T10:00:00.123000+00:00"
    assert (first["account_id"], first["organization_id"]) == ("user-0", "team-a")
    assert first["api_key_id"].startswith("88dc28d0")
    assert (first["client_ip"], first["model"]) == ("192.0.2.1", "gpt-4o")
    assert (first["prompt"], first["completion"]) == ("Question 0?", "Answer 0.")
    assert (first["input_tokens"], first["output_tokens"], first["max_tokens"]) == (21, 36, 512)
    assert (first["conversation_id"], first["status"]) == ("session-0", "success")
    extra = json.loads(first["extra"])
    assert extra["end_user"] == "customer-0" and float(extra["spend"]) == 0.00042  # CSV cells are text
    assert "messages" not in extra and "proxy_server_request" not in extra


def test_litellm_spendlogs_jsonl_export(tmp_path: Path) -> None:
    source = write_jsonl(tmp_path / "spend.jsonl", [litellm_row(i) for i in range(3)])
    result = run_ingest([source], tmp_path / "store", mapping=load_mapping("litellm_spendlogs"))
    assert result.rows_stored == 3, result.by_reason
    check_litellm(store_rows(tmp_path / "store"))


def test_litellm_spendlogs_csv_export_with_json_text_columns(tmp_path: Path) -> None:
    path = tmp_path / "spend.csv"
    records = [litellm_row(i) for i in range(3)]
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(records[0]))
        writer.writeheader()
        for record in records:
            writer.writerow(
                {k: json.dumps(v) if isinstance(v, (dict, list)) else v for k, v in record.items()}
            )
    result = run_ingest([path], tmp_path / "store", mapping=load_mapping("litellm_spendlogs"))
    assert result.rows_stored == 3, result.by_reason
    check_litellm(store_rows(tmp_path / "store"))


def test_a_custom_mapping_file(tmp_path: Path) -> None:
    mapping = tmp_path / "gateway.yaml"
    mapping.write_text(
        """
name: my-gateway
fields:
  request_id: id
  timestamp: meta.received
  account_id: [customer.id, customer.legacy_id]
  model: {const: frontier-large}
  status: {column: outcome, default: ok}
  prompt: {column: body, extract: last_user_text}
  input_tokens: usage.0
drop: [debug]
"""
    )
    source = write_jsonl(
        tmp_path / "gw.jsonl",
        [
            {
                "id": "a",
                "meta": {"received": 1740830400},
                "customer": {"id": "c-1"},
                "outcome": "error",
                "body": {"messages": [{"role": "user", "content": "hi"}]},
                "usage": [5, 9],
                "debug": "x",
                "region": "eu",
            },
            {
                "id": "b",
                "meta": {"received": 1740830401},
                "customer": {"legacy_id": "c-2"},
                "body": "a plain prompt",
                "usage": [1, 2],
                "debug": "y",
                "region": "us",
            },
        ],
    )
    result = run_ingest([source], tmp_path / "store", mapping=load_mapping(str(mapping)))
    assert result.rows_stored == 2, result.by_reason
    a, b = store_rows(tmp_path / "store")
    assert (a["account_id"], b["account_id"]) == ("c-1", "c-2")
    assert (a["model"], a["status"], b["status"]) == ("frontier-large", "error", "ok")
    assert (a["prompt"], b["prompt"]) == ("hi", "a plain prompt")
    assert (a["input_tokens"], b["input_tokens"]) == (5, 1)
    assert json.loads(a["extra"]) == {"region": "eu"}


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ("fields: {acount_id: user}", "not canonical fields"),
        ("fields: {prompt: {column: body, extract: first_words}}", "unknown extract"),
        ("fields: {model: {const: x, default: y}}", "cannot be combined"),
        ("naive_timestamps: local", "must be `utc` or `reject`"),
        ("fields: [a, b]", "must map canonical field names"),
        ("colums: {}", "unknown top-level keys"),
        ("fields: {model: [1, 2]}", "must be a column name"),
        ("{unclosed", "not valid YAML"),
    ],
)
def test_mapping_errors_name_the_file_and_the_entry(tmp_path: Path, document: str, message: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(document)
    with pytest.raises(MappingError, match=message) as error:
        load_mapping(str(path))
    assert str(path) in str(error.value)


def test_shipped_mappings_load() -> None:
    assert {"litellm_spendlogs", "otel_genai"} <= set(shipped_mappings())
    for name in shipped_mappings():
        assert load_mapping(name).name == name
