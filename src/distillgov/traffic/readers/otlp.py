"""OpenTelemetry GenAI spans exported as OTLP/JSON, flattened to one row per inference span.

Accepts one `ExportTraceServiceRequest` JSON document, or the collector file exporter's form of
one request per line (plain, gzip or zstd). This reader only flattens; which attribute feeds
which canonical field is the built-in mapping `mappings/otel_genai.yaml`, so that the
semantic-convention knowledge lives in one declarative place.

A row holds the resource attributes, then the span attributes (a span attribute wins over a
resource attribute of the same name), then these synthesized columns:

    span.trace_id, span.span_id, span.trace_span_id ("<traceId>-<spanId>"), span.name,
    span.kind, span.start_time_unix_nano, span.end_time_unix_nano, span.status
    ("error" for STATUS_CODE_ERROR, otherwise "ok"), span.status_message, scope.name,
    scope.version

Structured attribute values (arrays, maps) become JSON text. Message content recorded in
older forms is gathered into `gen_ai.input.messages` / `gen_ai.output.messages` when those are
absent: the `gen_ai.client.inference.operation.details` event, the v1.28-1.36 per-message
events (`gen_ai.user.message`, `gen_ai.choice`, ...), the pre-1.28 `gen_ai.content.prompt` /
`gen_ai.content.completion` events, and flattened `gen_ai.prompt.<i>.content` attributes.

Only inference spans are rows: `gen_ai.operation.name` of `chat`, `text_completion` or
`generate_content`, or a span with `gen_ai.*` attributes and no operation name. Other spans
(HTTP, tools, agents, embeddings) are counted in `skipped_spans`. `source_row` is the span's
1-based position among the spans of the file.
"""

from __future__ import annotations

import base64
import json
import re
from collections import Counter
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from distillgov.traffic.quarantine import Reason, Rejection, escape_bytes
from distillgov.traffic.readers.base import SourceBatch, UnreadableFileError, columns_from_records, with_rows
from distillgov.traffic.readers.stream import BrokenTail, ByteStream, text_blocks

INFERENCE_OPERATIONS = frozenset({"chat", "text_completion", "generate_content"})
_BATCH_SPANS = 50_000
_ERROR_CODES = {2, "2", "STATUS_CODE_ERROR"}
_INDEXED = re.compile(r"^gen_ai\.(prompt|completion)\.(\d+)\.(\w+)$")
_MESSAGE_EVENTS = {
    "gen_ai.system.message": "system",
    "gen_ai.user.message": "user",
    "gen_ai.assistant.message": "assistant",
    "gen_ai.tool.message": "tool",
}
_LIFTED_EVENT_ATTRIBUTES = {
    "gen_ai.client.inference.operation.details": ("gen_ai.input.messages", "gen_ai.output.messages"),
    "gen_ai.content.prompt": ("gen_ai.prompt",),
    "gen_ai.content.completion": ("gen_ai.completion",),
}


def _get(obj: dict[str, Any], camel: str, snake: str) -> Any:
    """OTLP/JSON uses lowerCamelCase; some exporters write the proto's snake_case names."""
    return obj.get(camel, obj.get(snake))


def any_value(value: dict[str, Any] | None) -> Any:
    """Python value of an OTLP AnyValue (int64 arrives as a JSON string per proto3 mapping)."""
    if not value:
        return None
    if "stringValue" in value or "string_value" in value:
        return _get(value, "stringValue", "string_value")
    if "intValue" in value or "int_value" in value:
        return int(_get(value, "intValue", "int_value"))
    if "doubleValue" in value or "double_value" in value:
        return float(_get(value, "doubleValue", "double_value"))
    if "boolValue" in value or "bool_value" in value:
        return bool(_get(value, "boolValue", "bool_value"))
    if "arrayValue" in value or "array_value" in value:
        return [any_value(v) for v in (_get(value, "arrayValue", "array_value") or {}).get("values", [])]
    if "kvlistValue" in value or "kvlist_value" in value:
        return attributes((_get(value, "kvlistValue", "kvlist_value") or {}).get("values", []))
    if "bytesValue" in value or "bytes_value" in value:
        return base64.b64decode(_get(value, "bytesValue", "bytes_value")).hex()
    return None


def attributes(items: list[dict[str, Any]] | None) -> dict[str, Any]:
    return {item["key"]: any_value(item.get("value")) for item in items or [] if "key" in item}


def _flat(value: Any) -> Any:
    """Column value: structured values as JSON text, so every span types them the same way."""
    return json.dumps(value, ensure_ascii=False) if isinstance(value, (list, dict)) else value


def _event_body(attrs: dict[str, Any]) -> dict[str, Any]:
    """Body of a v1.28-1.36 message event recorded on a span: `gen_ai.event.content` JSON or attributes."""
    body: Any = attrs.get("gen_ai.event.content")
    if isinstance(body, str):
        try:
            body = json.loads(body)
        except json.JSONDecodeError:
            body = {"content": body}
    fields: dict[str, Any] = body if isinstance(body, dict) else {}
    return fields | {key: attrs[key] for key in ("content", "message") if key in attrs}


def _legacy_messages(row: dict[str, Any], events: list[dict[str, Any]]) -> None:
    """Gather message content recorded in older convention forms into the current attributes."""
    inputs: list[dict[str, Any]] = []
    outputs: list[dict[str, Any]] = []
    for event in events:
        name = event.get("name", "")
        attrs = attributes(event.get("attributes"))
        for key in _LIFTED_EVENT_ATTRIBUTES.get(name, ()):
            if key in attrs and key not in row:
                row[key] = _flat(attrs[key])
        if name in _MESSAGE_EVENTS:
            inputs.append({"role": _MESSAGE_EVENTS[name], "content": _event_body(attrs).get("content")})
        elif name == "gen_ai.choice":
            body = _event_body(attrs)
            message = body.get("message")
            content = message.get("content") if isinstance(message, dict) else body.get("content")
            outputs.append({"role": "assistant", "content": content})
    indexed: dict[tuple[str, int], dict[str, Any]] = {}
    for key in [k for k in row if _INDEXED.match(k)]:
        match = _INDEXED.match(key)
        assert match is not None
        indexed.setdefault((match.group(1), int(match.group(2))), {})[match.group(3)] = row.pop(key)
    for (kind, _), message in sorted(indexed.items()):
        (inputs if kind == "prompt" else outputs).append(message)
    for key, legacy_key, messages in (
        ("gen_ai.input.messages", "gen_ai.prompt", inputs),
        ("gen_ai.output.messages", "gen_ai.completion", outputs),
    ):
        if key not in row and legacy_key in row:
            row[key] = row.pop(legacy_key)
        elif key not in row and messages:
            row[key] = json.dumps(messages, ensure_ascii=False)


class OtlpReader:
    """Reads one OTLP/JSON trace file; `skipped_spans` counts non-inference spans by operation."""

    def __init__(self) -> None:
        self.skipped_spans: Counter[str] = Counter()
        self._ordinal = 0

    def read(self, stream: ByteStream) -> Iterator[SourceBatch]:
        rows: list[dict[str, Any]] = []
        numbers: list[int] = []
        raws: list[str] = []
        rejections: list[Rejection] = []
        document: bytearray | None = None  # set when the file is one (pretty-printed) request
        line_mode = False
        for block in text_blocks(stream, 16 << 20):
            if isinstance(block, BrokenTail):
                rejections.append(
                    Rejection(None, Reason.TRUNCATED_INPUT, f"line {block.line}: {block.detail}")
                )
                continue
            for offset, line in enumerate(block.data.split(b"\n")[: block.line_count]):
                if document is not None:
                    document += line + b"\n"
                    continue
                text = line.strip()
                if not text:
                    continue
                try:
                    request = json.loads(text)
                except (json.JSONDecodeError, UnicodeDecodeError) as error:
                    if not line_mode:  # the first line is not a whole request: one document
                        document = bytearray(line + b"\n")
                        continue
                    problem: str | None = f"invalid JSON ({error})"
                else:
                    line_mode = True
                    problem = self._request(request, rows, numbers, raws)
                if problem:
                    line_number = block.first_line + offset
                    raw = escape_bytes(text)
                    rejections.append(
                        Rejection(None, Reason.INVALID_JSON, f"line {line_number}: {problem}", raw=raw)
                    )
            if len(rows) >= _BATCH_SPANS:
                yield self._batch(rows, numbers, raws, rejections, stream.consumed)
                rows, numbers, raws, rejections = [], [], [], []
        if document is not None:
            try:
                request = json.loads(document)
            except (json.JSONDecodeError, UnicodeDecodeError) as error:
                raise UnreadableFileError(stream.path, f"not OTLP/JSON: {error}") from None
            problem = self._request(request, rows, numbers, raws)
            if problem:
                raise UnreadableFileError(stream.path, problem)
        yield self._batch(rows, numbers, raws, rejections, stream.consumed)

    def _request(
        self, request: Any, rows: list[dict[str, Any]], numbers: list[int], raws: list[str]
    ) -> str | None:
        if not isinstance(request, dict) or not any(
            k in request for k in ("resourceSpans", "resource_spans")
        ):
            return "not an OTLP ExportTraceServiceRequest (no resourceSpans)"
        for resource_spans in _get(request, "resourceSpans", "resource_spans") or []:
            resource = attributes((resource_spans.get("resource") or {}).get("attributes"))
            scopes = _get(resource_spans, "scopeSpans", "scope_spans") or resource_spans.get(
                "instrumentationLibrarySpans", []
            )
            for scope_spans in scopes:
                scope = scope_spans.get("scope") or scope_spans.get("instrumentationLibrary") or {}
                for span in scope_spans.get("spans", []):
                    self._ordinal += 1
                    row = self._row(span, resource, scope)
                    if row is None:
                        continue
                    rows.append(row)
                    numbers.append(self._ordinal)
                    raws.append(json.dumps(span, ensure_ascii=False))
        return None

    def _row(
        self, span: dict[str, Any], resource: dict[str, Any], scope: dict[str, Any]
    ) -> dict[str, Any] | None:
        span_attributes = attributes(span.get("attributes"))
        operation = span_attributes.get("gen_ai.operation.name")
        is_genai = any(key.startswith("gen_ai.") for key in span_attributes)
        if not (operation in INFERENCE_OPERATIONS or (operation is None and is_genai)):
            self.skipped_spans[str(operation or "not GenAI")] += 1
            return None
        row = {key: _flat(value) for key, value in (resource | span_attributes).items()}
        _legacy_messages(row, span.get("events") or [])
        trace_id = _get(span, "traceId", "trace_id")
        span_id = _get(span, "spanId", "span_id")
        status = span.get("status") or {}
        start = _get(span, "startTimeUnixNano", "start_time_unix_nano")
        end = _get(span, "endTimeUnixNano", "end_time_unix_nano")
        row |= {
            "span.trace_id": trace_id,
            "span.span_id": span_id,
            "span.trace_span_id": f"{trace_id}-{span_id}" if trace_id and span_id else None,
            "span.name": span.get("name"),
            "span.kind": span.get("kind"),
            "span.start_time_unix_nano": int(start) if start is not None else None,
            "span.end_time_unix_nano": int(end) if end is not None else None,
            "span.status": "error" if status.get("code") in _ERROR_CODES else "ok",
            "span.status_message": status.get("message"),
            "scope.name": scope.get("name"),
            "scope.version": scope.get("version"),
        }
        return row

    @staticmethod
    def _batch(
        rows: list[dict[str, Any]],
        numbers: list[int],
        raws: list[str],
        rejections: list[Rejection],
        consumed: int,
    ) -> SourceBatch:
        table = with_rows(columns_from_records(rows), np.array(numbers, dtype=np.int64))

        def raw_records(positions: Sequence[int]) -> list[str | None]:
            return [raws[p] for p in positions]

        return SourceBatch(table, raw_records, consumed, list(rejections))


def is_otlp(head: bytes) -> bool:
    """Whether decompressed content starts like an OTLP/JSON trace request."""
    return re.match(rb'\s*\{\s*"resource_?[sS]pans"\s*:', head) is not None
