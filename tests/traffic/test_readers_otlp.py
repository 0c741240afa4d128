"""OTLP/JSON GenAI spans: flattening, current and older convention forms, the shipped mapping."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from ingest_helpers import quarantine_rows, run_ingest, store_rows

from distillgov.traffic.readers import Format, UnreadableFileError, open_source

START = 1_740_830_400_000_000_000  # 2025-03-01T12:00:00Z in nanoseconds


def value(v: Any) -> dict[str, Any]:
    if isinstance(v, bool):
        return {"boolValue": v}
    if isinstance(v, int):
        return {"intValue": str(v)}  # int64 is a JSON string in OTLP/JSON
    if isinstance(v, float):
        return {"doubleValue": v}
    if isinstance(v, list):
        return {"arrayValue": {"values": [value(x) for x in v]}}
    if isinstance(v, dict):
        return {"kvlistValue": {"values": [{"key": k, "value": value(x)} for k, x in v.items()]}}
    return {"stringValue": v}


def attrs(values: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"key": k, "value": value(v)} for k, v in values.items()]


def span(n: int, attributes: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {
        "traceId": f"{n:032x}",
        "spanId": f"{n:016x}",
        "name": "chat frontier-large",
        "kind": 3,
        "startTimeUnixNano": str(START + n * 1_000_000_000),
        "endTimeUnixNano": str(START + n * 1_000_000_000 + 500_000_000),
        "attributes": attrs(attributes),
        **fields,
    }


def request(spans: list[dict[str, Any]], resource: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "resourceSpans": [
            {
                "resource": {"attributes": attrs(resource or {"service.name": "gateway"})},
                "scopeSpans": [
                    {"scope": {"name": "genai-instrumentation", "version": "1.0"}, "spans": spans}
                ],
            }
        ]
    }


CURRENT = {
    "gen_ai.operation.name": "chat",
    "gen_ai.provider.name": "openai",
    "gen_ai.request.model": "frontier-large",
    "gen_ai.response.model": "frontier-large-2025-01",
    "gen_ai.response.id": "chatcmpl-1",
    "gen_ai.request.max_tokens": 2048,
    "gen_ai.usage.input_tokens": 31,
    "gen_ai.usage.output_tokens": 250,
    "gen_ai.conversation.id": "conv-9",
    "gen_ai.input.messages": [
        {"role": "system", "parts": [{"type": "text", "content": "be brief"}]},
        {"role": "user", "parts": [{"type": "text", "content": "first question"}]},
        {"role": "assistant", "parts": [{"type": "text", "content": "first answer"}]},
        {"role": "user", "parts": [{"type": "text", "content": "Explain photosynthesis."}]},
    ],
    "gen_ai.output.messages": json.dumps(  # the JSON-string form some SDKs record
        [{"role": "assistant", "parts": [{"type": "text", "content": "Plants turn light into sugar."}]}]
    ),
    "user.id": "user-1",
    "enduser.id": "legacy-user",
    "client.address": "198.51.100.23",
    "user_agent.original": "openai-python/1.40",
    "distillgov.api_key.id": "key-7",
    "distillgov.organization.id": "org-3",
}


def write(path: Path, *requests: dict[str, Any], one_per_line: bool = True) -> Path:
    if one_per_line:
        path.write_text("".join(json.dumps(r) + "\n" for r in requests))
    else:
        path.write_text(json.dumps(requests[0], indent=2))
    return path


@pytest.mark.parametrize("one_per_line", [True, False])
def test_current_attributes_map_to_canonical_fields(tmp_path: Path, one_per_line: bool) -> None:
    path = write(tmp_path / "traces.json", request([span(1, CURRENT)]), one_per_line=one_per_line)
    assert open_source(path).format is Format.OTLP
    result = run_ingest([path], tmp_path / "store")
    assert result.rows_stored == 1, quarantine_rows(tmp_path / "store")
    (stored,) = store_rows(tmp_path / "store")
    assert stored["request_id"] == "chatcmpl-1"
    assert stored["timestamp"].isoformat() == "2025-03-01T12:00:01+00:00"
    assert stored["account_id"] == "user-1"  # user.id wins over the deprecated enduser.id
    assert (stored["organization_id"], stored["api_key_id"]) == ("org-3", "key-7")
    assert stored["model"] == "frontier-large"  # the requested model, not the response's
    assert stored["prompt"] == "Explain photosynthesis."  # the last user message
    assert stored["completion"] == "Plants turn light into sugar."
    assert (stored["input_tokens"], stored["output_tokens"], stored["max_tokens"]) == (31, 250, 2048)
    assert (stored["conversation_id"], stored["status"]) == ("conv-9", "ok")
    assert (stored["client_ip"], stored["user_agent"]) == ("198.51.100.23", "openai-python/1.40")
    extra = json.loads(stored["extra"])
    assert extra["gen_ai.provider.name"] == "openai"
    assert extra["gen_ai.operation.name"] == "chat"
    assert extra["service.name"] == "gateway"
    # Every column the mapping reads is consumed, fallbacks included, so that an identifier
    # never reaches `extra` (which pseudonymization does not touch).
    assert "enduser.id" not in extra and "gen_ai.input.messages" not in extra


def test_older_forms_and_fallbacks(tmp_path: Path) -> None:
    legacy = {
        "gen_ai.system": "openai",
        "gen_ai.request.model": "frontier-small",
        "gen_ai.usage.prompt_tokens": 5,
        "gen_ai.usage.completion_tokens": 7,
        "enduser.pseudo.id": "pseudo-4",
    }
    events = [
        {
            "name": "gen_ai.user.message",
            "attributes": attrs({"gen_ai.event.content": json.dumps({"content": "hi there"})}),
        },
        {
            "name": "gen_ai.choice",
            "attributes": attrs({"message": {"role": "assistant", "content": "hello back"}}),
        },
    ]
    indexed = {
        "gen_ai.request.model": "frontier-small",
        "gen_ai.prompt.0.role": "user",
        "gen_ai.prompt.0.content": "indexed prompt",
        "gen_ai.completion.0.content": "indexed answer",
        "user.id": "user-2",
    }
    error = {"code": 2, "message": "rate limited"}
    path = write(
        tmp_path / "old.json", request([span(2, legacy, events=events), span(3, indexed, status=error)])
    )
    run_ingest([path], tmp_path / "store")
    first, second = store_rows(tmp_path / "store")
    assert first["request_id"] == f"{2:032x}-{2:016x}"  # no gen_ai.response.id: traceId-spanId
    assert (first["input_tokens"], first["output_tokens"]) == (5, 7)
    assert first["account_id"] == "pseudo-4"
    assert (first["prompt"], first["completion"]) == ("hi there", "hello back")
    assert (second["prompt"], second["completion"]) == ("indexed prompt", "indexed answer")
    assert second["status"] == "error"
    assert "gen_ai.prompt.0.content" not in json.loads(second["extra"])


def test_distillgov_account_attribute_wins_and_spans_other_than_inference_are_skipped(tmp_path: Path) -> None:
    spans = [
        span(4, CURRENT | {"distillgov.account.id": "acct-42"}),
        span(5, {"http.request.method": "POST"}),
        span(6, {"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "search"}),
    ]
    path = write(tmp_path / "mixed.json", request(spans))
    result = run_ingest([path], tmp_path / "store")
    assert result.rows_read == 1
    assert result.files[0].skipped == {"span operation not GenAI": 1, "span operation execute_tool": 1}
    (stored,) = store_rows(tmp_path / "store")
    assert stored["account_id"] == "acct-42"
    assert stored["source_row"] == 1


def test_a_bad_line_of_a_file_exporter_file_is_rejected_alone(tmp_path: Path) -> None:
    path = tmp_path / "export.json"
    good = json.dumps(request([span(7, CURRENT)]))
    path.write_text(f"{good}\n{{broken json\n{json.dumps({'resourceMetrics': []})}\n")
    result = run_ingest([path], tmp_path / "store")
    assert result.rows_stored == 1
    reasons = [(r["reason"], r["detail"].split(":")[0]) for r in quarantine_rows(tmp_path / "store")]
    assert reasons == [("invalid_json", "line 2"), ("invalid_json", "line 3")]


def test_a_document_that_is_not_json_is_unreadable(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text('{"resourceSpans": [\n  {"resource": \n')
    with pytest.raises(UnreadableFileError, match="not OTLP/JSON"):
        list(open_source(path).batches(frozenset()))
