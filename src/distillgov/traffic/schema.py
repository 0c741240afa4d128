"""The canonical exchange schema: one row per API request/response.

Column names are a public contract read by detection, case files and outside tools, so the
schema is declared exactly once, here, as an Arrow schema whose field metadata carries the
meaning of each column and the rules that validation enforces. Readers, the normaliser, the
simulator and the documentation all derive what they need from this declaration instead of
repeating column lists.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import pyarrow as pa


class FieldKind(StrEnum):
    """How a field is parsed and checked; one kind, one validation rule."""

    TEXT = "text"  # free text, may be absent
    IDENTIFIER = "identifier"  # an opaque id; compared for equality only
    TIMESTAMP = "timestamp"  # instant in UTC; zone-less input is ambiguous
    COUNT = "count"  # non-negative integer


@dataclass(frozen=True)
class ExchangeField:
    """One column of the contract and what a reader may assume about it."""

    name: str
    kind: FieldKind
    arrow_type: pa.DataType
    required: bool
    description: str
    pseudonymized: bool = False  # replaced by a keyed HMAC under `ingest --pseudonymize`


UTC_TIMESTAMP = pa.timestamp("us", tz="UTC")

EXCHANGE_FIELDS: tuple[ExchangeField, ...] = (
    ExchangeField(
        "request_id",
        FieldKind.IDENTIFIER,
        pa.string(),
        True,
        "Provider-assigned id of the request; unique across the store. A repeated id is quarantined "
        "(the first occurrence is kept) because double-counting inflates the volume evidence.",
    ),
    ExchangeField(
        "timestamp",
        FieldKind.TIMESTAMP,
        UTC_TIMESTAMP,
        True,
        "When the request was received, in UTC. Input may be ISO-8601 with `Z` or an offset, or epoch "
        "seconds / milliseconds / microseconds (told apart by magnitude).",
    ),
    ExchangeField(
        "account_id",
        FieldKind.IDENTIFIER,
        pa.string(),
        True,
        "The customer account that sent the request; the unit that detection scores.",
        pseudonymized=True,
    ),
    ExchangeField(
        "organization_id",
        FieldKind.IDENTIFIER,
        pa.string(),
        False,
        "The organization that owns the account, when the provider has one; enterprises share it.",
        pseudonymized=True,
    ),
    ExchangeField(
        "api_key_id",
        FieldKind.IDENTIFIER,
        pa.string(),
        False,
        "Id (never the secret) of the API key used; keys shared across accounts link them.",
        pseudonymized=True,
    ),
    ExchangeField(
        "client_ip",
        FieldKind.IDENTIFIER,
        pa.string(),
        False,
        "Source IP address as seen by the provider's edge; its /24 (IPv4) or /48 (IPv6) network links "
        "accounts behind one proxy pool or corporate gateway.",
        pseudonymized=True,
    ),
    ExchangeField(
        "user_agent",
        FieldKind.TEXT,
        pa.string(),
        False,
        "HTTP User-Agent of the client; SDK and version strings are shared by automation.",
    ),
    ExchangeField(
        "payment_fingerprint",
        FieldKind.IDENTIFIER,
        pa.string(),
        False,
        "Opaque fingerprint of the payment instrument (e.g. the processor's card fingerprint); shared "
        "payment is among the most specific links between accounts.",
        pseudonymized=True,
    ),
    ExchangeField(
        "account_created_at",
        FieldKind.TIMESTAMP,
        UTC_TIMESTAMP,
        False,
        "When the account was created, in UTC; bursts of creation reveal account farms.",
    ),
    ExchangeField(
        "model",
        FieldKind.IDENTIFIER,
        pa.string(),
        True,
        "The model the request asked for (provider's model name).",
    ),
    ExchangeField(
        "prompt",
        FieldKind.TEXT,
        pa.string(),
        False,
        "The user-supplied input (last user turn, or the whole rendered prompt). Absent under "
        "`ingest --drop-text`, where only its length and a MinHash signature are kept.",
    ),
    ExchangeField(
        "completion",
        FieldKind.TEXT,
        pa.string(),
        False,
        "The model's output text. Absent under `ingest --drop-text`.",
    ),
    ExchangeField(
        "input_tokens",
        FieldKind.COUNT,
        pa.int64(),
        False,
        "Tokens billed for the input (OpenTelemetry `gen_ai.usage.input_tokens`).",
    ),
    ExchangeField(
        "output_tokens",
        FieldKind.COUNT,
        pa.int64(),
        False,
        "Tokens generated (OpenTelemetry `gen_ai.usage.output_tokens`): what a harvester takes away.",
    ),
    ExchangeField(
        "max_tokens",
        FieldKind.COUNT,
        pa.int64(),
        False,
        "Output limit the client requested; harvesting asks for long outputs.",
    ),
    ExchangeField(
        "conversation_id",
        FieldKind.IDENTIFIER,
        pa.string(),
        False,
        "Groups the turns of one conversation; harvesting is overwhelmingly single-turn.",
    ),
    ExchangeField(
        "turn_index",
        FieldKind.COUNT,
        pa.int64(),
        False,
        "0-based position of this exchange within its conversation.",
    ),
    ExchangeField(
        "status",
        FieldKind.TEXT,
        pa.string(),
        False,
        "Outcome as the provider logged it (e.g. `ok`, `error`, an HTTP status code).",
    ),
)

FIELDS_BY_NAME: dict[str, ExchangeField] = {f.name: f for f in EXCHANGE_FIELDS}
REQUIRED_FIELDS: tuple[str, ...] = tuple(f.name for f in EXCHANGE_FIELDS if f.required)
PSEUDONYMIZED_FIELDS: tuple[str, ...] = tuple(f.name for f in EXCHANGE_FIELDS if f.pseudonymized)


def _arrow_field(spec: ExchangeField) -> pa.Field[Any]:
    return pa.field(
        spec.name,
        spec.arrow_type,
        nullable=not spec.required,
        metadata={
            "description": spec.description,
            "kind": spec.kind.value,
            "required": str(spec.required).lower(),
            "pseudonymized": str(spec.pseudonymized).lower(),
        },
    )


EXCHANGE_SCHEMA: pa.Schema = pa.schema([_arrow_field(f) for f in EXCHANGE_FIELDS])


def schema_markdown() -> str:
    """Render the contract as a Markdown table, so docs can never drift from the code."""
    lines = ["| column | type | required | meaning |", "|---|---|---|---|"]
    for spec in EXCHANGE_FIELDS:
        required = "yes" if spec.required else ""
        lines.append(f"| `{spec.name}` | {spec.arrow_type} | {required} | {spec.description} |")
    return "\n".join(lines)
