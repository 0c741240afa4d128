"""The exchange schema is a public contract: these tests fail if it drifts from what the issue promised."""

from pathlib import Path

import pyarrow as pa

from distillgov.traffic.schema import (
    EXCHANGE_FIELDS,
    EXCHANGE_SCHEMA,
    PSEUDONYMIZED_FIELDS,
    REQUIRED_FIELDS,
    FieldKind,
    schema_markdown,
)

CONTRACT_COLUMNS = [
    "request_id", "timestamp", "account_id", "organization_id", "api_key_id", "client_ip", "user_agent",
    "payment_fingerprint", "account_created_at", "model", "prompt", "completion", "input_tokens",
    "output_tokens", "max_tokens", "conversation_id", "turn_index", "status",
]  # fmt: skip


def test_column_names_and_order_are_the_published_contract() -> None:
    assert EXCHANGE_SCHEMA.names == CONTRACT_COLUMNS


def test_required_fields_are_exactly_those_the_contract_requires() -> None:
    assert set(REQUIRED_FIELDS) == {"request_id", "timestamp", "account_id", "model"}
    for name in REQUIRED_FIELDS:
        assert not EXCHANGE_SCHEMA.field(name).nullable


def test_identifiers_named_for_pseudonymization_are_covered() -> None:
    assert {"account_id", "client_ip", "payment_fingerprint", "api_key_id"} <= set(PSEUDONYMIZED_FIELDS)
    assert "prompt" not in PSEUDONYMIZED_FIELDS


def test_timestamps_are_utc_instants_and_counts_are_integers() -> None:
    for spec in EXCHANGE_FIELDS:
        arrow_type = EXCHANGE_SCHEMA.field(spec.name).type
        if spec.kind is FieldKind.TIMESTAMP:
            assert pa.types.is_timestamp(arrow_type) and arrow_type.tz == "UTC"
        if spec.kind is FieldKind.COUNT:
            assert pa.types.is_integer(arrow_type)


def test_every_field_documents_its_meaning_in_arrow_metadata() -> None:
    for field in EXCHANGE_SCHEMA:
        assert field.metadata is not None
        assert len(field.metadata[b"description"]) > 20


def test_architecture_doc_carries_the_generated_schema_table() -> None:
    """ARCHITECTURE.md embeds `schema_markdown()`; regenerate it there when the schema changes."""
    doc = (Path(__file__).parents[2] / "ARCHITECTURE.md").read_text(encoding="utf-8")
    assert schema_markdown() in doc
