"""Validation rules derived from the schema: timestamps, counts, required fields, extras."""

from __future__ import annotations

import functools
import json
from datetime import UTC, datetime
from typing import Any

import duckdb
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from ingest_helpers import row

from distillgov.traffic.mapping import CANONICAL
from distillgov.traffic.normalize import CHECKED_SCHEMA, Checked, Validator
from distillgov.traffic.readers.base import ROW_COLUMN
from distillgov.traffic.schema import REQUIRED_FIELDS

INSTANT = datetime(2025, 3, 1, 12, 30, 15, tzinfo=UTC)
EPOCH = int(INSTANT.timestamp())


def check(
    records: list[dict[str, Any]], *, naive_utc: bool = False, types: dict[str, pa.DataType] | None = None
) -> Checked:
    columns = {name: [r.get(name) for r in records] for name in dict.fromkeys(k for r in records for k in r)}
    arrays = {name: pa.array(values, (types or {}).get(name)) for name, values in columns.items()}
    table = pa.table(arrays).append_column(ROW_COLUMN, pa.array(range(1, len(records) + 1), pa.int64()))
    return _validator(naive_utc).check(table)


@functools.cache
def _validator(naive_utc: bool) -> Validator:
    return Validator(CANONICAL, naive_utc=naive_utc, connection=duckdb.connect())


def outcomes(column: str, values: list[Any], **options: Any) -> list[Any]:
    """Per value put in `column`: the value stored, or the reason it was rejected (`?` if neither)."""
    result = check([row(i, **{column: v}) for i, v in enumerate(values)], **options)
    stored = dict(
        zip(
            result.valid.column("source_row").to_pylist(),
            result.valid.column(column).to_pylist(),
            strict=True,
        )
    )
    rejected = dict(
        zip(
            result.rejected.column("source_row").to_pylist(),
            result.rejected.column("reason").to_pylist(),
            strict=True,
        )
    )
    return [stored.get(i + 1, rejected.get(i + 1, "?")) for i in range(len(values))]


def timestamps(values: list[Any], **options: Any) -> list[Any]:
    """Stored timestamp per value, or the rejection reason."""
    return outcomes("timestamp", values, **options)


def test_iso_timestamps_with_a_zone_are_read_as_given() -> None:
    values = [
        "2025-03-01T12:30:15Z",
        "2025-03-01T12:30:15z",
        "2025-03-01T14:30:15+02:00",
        "2025-03-01T07:00:15-0530",
        "2025-03-01T14:30:15+02",
        "2025-03-01 12:30:15.000000Z",
        "  2025-03-01T12:30:15Z  ",
        "2025-03-01T07:30:15 America/New_York",
    ]
    assert timestamps(values) == [INSTANT] * len(values)


def test_fractions_of_a_second_are_kept_to_the_microsecond() -> None:
    (value,) = timestamps(["2025-03-01T12:30:15.123456789Z"])
    assert value == INSTANT.replace(microsecond=123456)


@pytest.mark.parametrize("value", ["2025-03-01T12:30:15", "2025-03-01 12:30:15.5", "2025-03-01"])
def test_zone_less_timestamps_are_ambiguous_unless_declared_utc(value: str) -> None:
    assert timestamps([value]) == ["ambiguous_timestamp"]
    (parsed,) = timestamps([value], naive_utc=True)
    assert parsed.tzinfo is not None and parsed.date() == INSTANT.date()


@given(
    st.integers(
        min_value=int(datetime(2015, 1, 2, tzinfo=UTC).timestamp()),
        max_value=int(datetime(2099, 12, 30, tzinfo=UTC).timestamp()),
    )
)
@settings(max_examples=8, deadline=None)
def test_epoch_units_are_told_apart_by_magnitude(seconds: int) -> None:
    expected = datetime.fromtimestamp(seconds, UTC)
    numbers = [seconds, seconds * 1000, seconds * 1_000_000, seconds * 1_000_000_000]
    assert timestamps(numbers) == [expected] * 4
    assert timestamps([str(n) for n in numbers] + [f"{seconds}.0", f"{seconds}000.0"]) == [expected] * 6


def test_epoch_numbers_keep_fractions_and_nanosecond_strings_stay_exact() -> None:
    got = timestamps([f"{EPOCH}.25", f"{EPOCH}123456789", f"{EPOCH}123.5"])
    assert got == [
        INSTANT.replace(microsecond=250000),
        INSTANT.replace(microsecond=123456),
        INSTANT.replace(microsecond=123500),
    ]


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("1999-12-31T23:59:59Z", "timestamp_out_of_range"),
        ("2100-01-01T00:00:00Z", "timestamp_out_of_range"),
        (0, "timestamp_out_of_range"),
        (-EPOCH, "timestamp_out_of_range"),
        ("99999999999999999999999", "timestamp_out_of_range"),
        ("yesterday", "unparseable_timestamp"),
        ("2025-13-01T00:00:00Z", "unparseable_timestamp"),
        ("2025-03-01T12:30:15 Nowhere/Special", "unparseable_timestamp"),
        (float("nan"), "unparseable_timestamp"),
        (True, "unparseable_timestamp"),
    ],
)
def test_impossible_timestamps_are_rejected(value: Any, reason: str) -> None:
    assert timestamps([value]) == [reason]


def test_typed_timestamp_columns() -> None:
    aware = timestamps([INSTANT], types={"timestamp": pa.timestamp("ms", tz="Europe/Paris")})
    naive = timestamps([INSTANT.replace(tzinfo=None)], types={"timestamp": pa.timestamp("us")})
    floats = timestamps([float(EPOCH), EPOCH * 1000.0, EPOCH + 0.5], types={"timestamp": pa.float64()})
    assert aware == [INSTANT]
    assert naive == ["ambiguous_timestamp"]
    assert floats == [INSTANT, INSTANT, INSTANT.replace(microsecond=500000)]


def counts(values: list[Any], types: dict[str, pa.DataType] | None = None) -> list[Any]:
    return outcomes("input_tokens", values, types=types)


def test_counts_accept_whole_numbers_in_any_form() -> None:
    assert counts(["12", " 7 ", "12.0", "1e3", "", None]) == [12, 7, 12, 1000, None, None]
    assert counts([3.0, 0.0], types={"input_tokens": pa.float64()}) == [3, 0]


def test_counts_reject_fractions_text_and_negatives() -> None:
    assert counts(["12.5", "abc", "-3", "true", "99999999999999999999", "0x10"]) == [
        "non_integer_count",
        "non_integer_count",
        "negative_count",
        "non_integer_count",
        "non_integer_count",
        "non_integer_count",
    ]
    assert counts([-1, 2.5], types={"input_tokens": pa.float64()}) == ["negative_count", "non_integer_count"]


@pytest.mark.parametrize("field", REQUIRED_FIELDS)
@pytest.mark.parametrize("missing", [None, "", "   "])
def test_required_fields_must_have_a_value(field: str, missing: str | None) -> None:
    result = check([row(0, **{field: missing}), row(1)])
    assert result.valid.column("source_row").to_pylist() == [2]
    assert result.rejected.to_pylist() == [
        {
            "source_row": 1,
            "reason": "missing_required",
            "field": field,
            "detail": f"no value for required field {field}; "
            "map a source column to it (--mapping) or fix the source",
        }
    ]


def test_the_first_failing_rule_in_schema_order_is_reported() -> None:
    result = check([row(0, timestamp="2025-03-01T00:00:00", input_tokens=-1, model=None)])
    assert result.rejected.column("field").to_pylist() == ["timestamp"]
    assert "'2025-03-01T00:00:00' has no time zone" in result.rejected.column("detail")[0].as_py()


def test_identifiers_are_trimmed_text_and_free_text_is_kept_exactly() -> None:
    result = check([row(0, account_id="  acct-1 ", request_id=12345, prompt="  spaced  ")])
    stored = result.valid.to_pylist()[0]
    assert (stored["account_id"], stored["request_id"], stored["prompt"]) == ("acct-1", "12345", "  spaced  ")
    assert (stored["prompt_chars"], stored["completion_chars"]) == (10, len(row(0)["completion"]))
    assert result.valid.schema == CHECKED_SCHEMA


def test_unknown_columns_are_kept_as_extra_json_without_nulls() -> None:
    records = [row(0, region="eu", latency_ms=120, tags={"team": "a", "tier": None}), row(1, region=None)]
    extras = [json.loads(e) if e else None for e in check(records).valid.column("extra").to_pylist()]
    assert extras[0] == {"region": "eu", "latency_ms": 120, "tags": {"team": "a"}}
    assert extras[1] is None


def test_valid_rows_keep_their_own_text_when_neighbours_are_rejected() -> None:
    records = [row(i, input_tokens=-1 if i % 2 else 5) for i in range(6)]
    valid = check(records).valid
    assert valid.column("source_row").to_pylist() == [1, 3, 5]
    assert valid.column("prompt").to_pylist() == [records[i]["prompt"] for i in (0, 2, 4)]
    assert valid.column("request_id").to_pylist() == [records[i]["request_id"] for i in (0, 2, 4)]
