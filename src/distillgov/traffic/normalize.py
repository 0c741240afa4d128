"""Validation and typing of mapped rows: one DuckDB statement per batch, generated from the schema.

Each field's rule follows from its `FieldKind` in `schema.py`, so a field added to the contract
is validated without touching this module:

* IDENTIFIER: any scalar as text, without surrounding spaces; empty means absent.
* TEXT: any scalar as text, kept exactly.
* COUNT: a whole number >= 0, given as a number or numeric text ("12", "12.0").
  Fractions, text that is not a number, booleans: `non_integer_count`. Below 0: `negative_count`.
* TIMESTAMP: an instant, stored in UTC.
  - ISO-8601 with `Z`, an offset (`+02:00`, `+0200`, `+02`) or a zone name: read as given.
  - Epoch numbers, or numeric text, told apart by magnitude: |v| < 1e11 seconds, < 1e14
    milliseconds, < 1e17 microseconds, otherwise nanoseconds. Fractions are allowed.
  - ISO-8601 without a zone (or a date alone), and Parquet timestamps without a time zone,
    are `ambiguous_timestamp`: nothing says which clock they were written in. Under
    `--naive-timestamps utc` (or a mapping's `naive_timestamps: utc`) they are taken as UTC.
  - Anything else: `unparseable_timestamp`. An instant before 2015-01-01 or from 2100-01-01
    on: `timestamp_out_of_range` (almost always a wrong epoch unit).
* A required field without a value: `missing_required`.

A row is rejected for the first failing rule, in schema order. Rows are never repaired.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from distillgov.traffic.mapping import Expr, Mapping, as_text, is_nested, is_text, quote_identifier, select
from distillgov.traffic.quarantine import Reason
from distillgov.traffic.readers.base import ROW_COLUMN
from distillgov.traffic.schema import EXCHANGE_FIELDS, EXCHANGE_SCHEMA, ExchangeField, FieldKind

EARLIEST = datetime(2015, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)  # exclusive
_EARLIEST_US = int(EARLIEST.timestamp()) * 1_000_000
_LATEST_US = int(LATEST.timestamp()) * 1_000_000
_INTEGER_TEXT = r"[+-]?\d+"
_DECIMAL_TEXT = r"[+-]?(\d+\.\d*|\.\d+|\d+)([eE][+-]?\d+)?"
_ZONED_ISO = (
    r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}([.,]\d+)?)?\s*"
    r"([Zz]|[+-]\d{2}(:?\d{2})?|[A-Za-z][A-Za-z_]*(/[A-Za-z_+-]+)*)"
)
_RAW_CHARS = 120
DATE_COLUMN = "__date"
_VIEW = "source_"  # the batch being validated, as DuckDB sees it

CHECKED_SCHEMA = pa.schema(
    [
        *[pa.field(f.name, f.type, nullable=True, metadata=f.metadata) for f in EXCHANGE_SCHEMA],
        pa.field("source_row", pa.int64()),
        pa.field("extra", pa.string()),
        pa.field(DATE_COLUMN, pa.date32()),
        pa.field("prompt_chars", pa.int64()),
        pa.field("completion_chars", pa.int64()),
    ]
)


def _category(data_type: pa.DataType) -> str:
    """How a source value of this Arrow type is parsed."""
    if pa.types.is_null(data_type):
        return "null"
    if pa.types.is_integer(data_type):
        return "integer"
    if pa.types.is_floating(data_type) or pa.types.is_decimal(data_type):
        return "float"
    if pa.types.is_boolean(data_type):
        return "bool"
    if pa.types.is_timestamp(data_type):
        return "instant" if data_type.tz else "naive"
    if pa.types.is_date(data_type):
        return "naive"
    if is_nested(data_type):
        return "nested"
    return "text"


def _trimmed(text: str) -> str:
    """Text without surrounding spaces, empty meaning absent. DuckDB's trim() allocates a new
    string for every value; values rarely need it, so it only runs on those that do."""
    return (
        f"nullif(CASE WHEN starts_with({text}, ' ') OR ends_with({text}, ' ') THEN trim({text}) "
        f"ELSE {text} END, '')"
    )


def _text(name: str) -> str:
    return _trimmed(f"CAST({name} AS VARCHAR)")


def _column(prefix: str, spec: ExchangeField) -> str:
    return quote_identifier(f"{prefix}_{spec.name}")


# The statement is a stack of SELECT layers; each field adds named columns to the layers it
# needs, and a column may use columns of lower layers. Computing a value once in a low layer
# and referring to it above keeps every regex and cast to one evaluation per value.
_LAYERS = 4
Layers = list[dict[str, str]]


def _new_layers() -> Layers:
    return [{} for _ in range(_LAYERS)]


def _epoch_us(value: str, integral: bool) -> str:
    """Epoch number to microseconds by magnitude; HUGEINT so that no unit can overflow."""
    if integral:
        return (
            f"CASE WHEN abs({value}) < 100000000000 THEN {value} * 1000000 "
            f"WHEN abs({value}) < 100000000000000 THEN {value} * 1000 "
            f"WHEN abs({value}) < 100000000000000000 THEN {value} ELSE {value} // 1000 END"
        )
    scaled = (
        f"CASE WHEN abs({value}) < 1e11 THEN {value} * 1e6 WHEN abs({value}) < 1e14 THEN {value} * 1e3 "
        f"WHEN abs({value}) < 1e17 THEN {value} ELSE {value} / 1e3 END"
    )
    return f"CASE WHEN isfinite({value}) AND abs({scaled}) < 1e19 THEN CAST(round({scaled}) AS HUGEINT) END"


def _raw(spec: ExchangeField, source: Expr) -> str:
    return f"left({as_text(Expr(_column('in', spec), source.type)).sql}, {_RAW_CHARS})"


def _timestamp_layers(spec: ExchangeField, source: Expr, naive_utc: bool) -> Layers:
    """Columns u_ (epoch microseconds), z_ (instant) and c_ (what the value is: epoch, instant,
    ambiguous, unparseable, or NULL when absent)."""
    value, name = _column("in", spec), spec.name
    layers = _new_layers()
    category = _category(source.type)
    naive = "'instant'" if naive_utc else "'ambiguous'"
    present = f"CASE WHEN {value} IS NOT NULL THEN"
    us, tz, code = "CAST(NULL AS HUGEINT)", "CAST(NULL AS TIMESTAMPTZ)", f"{present} 'unparseable' END"
    if category in ("text", "nested"):
        t, k = _column("t", spec), _column("k", spec)
        layers[0][f"t_{name}"] = _text(value)
        # ISO-8601 has "-" as its 5th and 8th characters, numbers never do: one cheap test
        # spares the common case (ISO with a zone) the number patterns.
        iso_shaped = f"substr({t}, 5, 1) = '-' AND substr({t}, 8, 1) = '-'"
        layers[1][f"k_{name}"] = (
            f"CASE WHEN {t} IS NULL THEN NULL "
            f"WHEN {iso_shaped} THEN CASE WHEN regexp_full_match({t}, '{_ZONED_ISO}') THEN 'zoned' "
            "ELSE 'other' END "
            f"WHEN regexp_full_match({t}, '{_DECIMAL_TEXT}') THEN CASE WHEN regexp_full_match({t}, "
            f"'{_INTEGER_TEXT}') THEN 'integer' ELSE 'decimal' END ELSE 'other' END"
        )
        us = (
            f"CASE {k} WHEN 'integer' THEN {_epoch_us(f'TRY_CAST({t} AS HUGEINT)', True)} "
            f"WHEN 'decimal' THEN {_epoch_us(f'TRY_CAST({t} AS DOUBLE)', False)} END"
        )
        upper_z = f"CASE WHEN ends_with({t}, 'z') THEN left({t}, -1) || 'Z' ELSE {t} END"
        tz = (
            f"CASE {k} WHEN 'zoned' THEN TRY_CAST({upper_z} AS TIMESTAMPTZ) "
            f"WHEN 'other' THEN CAST(TRY_CAST({t} AS TIMESTAMP) AS TIMESTAMPTZ) END"
        )
        z = _column("z", spec)
        code = (
            f"CASE {k} WHEN 'integer' THEN 'epoch' WHEN 'decimal' THEN 'epoch' "
            f"WHEN 'zoned' THEN CASE WHEN {z} IS NULL THEN 'unparseable' ELSE 'instant' END "
            f"WHEN 'other' THEN CASE WHEN {z} IS NULL THEN 'unparseable' ELSE {naive} END END"
        )
    elif category == "integer":
        us, code = _epoch_us(f"CAST({value} AS HUGEINT)", True), f"{present} 'epoch' END"
    elif category == "float":
        us = _epoch_us(f"CAST({value} AS DOUBLE)", False)
        code = f"CASE WHEN NOT isfinite({value}) THEN 'unparseable' WHEN {value} IS NOT NULL THEN 'epoch' END"
    elif category == "instant":
        tz, code = f"CAST({value} AS TIMESTAMPTZ)", f"{present} 'instant' END"
    elif category == "naive":
        tz = f"CAST(CAST({value} AS TIMESTAMP) AS TIMESTAMPTZ)"  # the session zone is UTC
        code = f"{present} {naive} END"
    layers[2] |= {f"u_{name}": us, f"z_{name}": tz}
    layers[3][f"c_{name}"] = code
    return layers


def _count_layers(spec: ExchangeField, source: Expr) -> Layers:
    """Columns n_ (the count) and c_ (non_integer, negative, or NULL)."""
    value, name = _column("in", spec), spec.name
    layers = _new_layers()
    category = _category(source.type)
    present = f"{value} IS NOT NULL"
    if category == "integer":
        number = f"TRY_CAST({value} AS BIGINT)"
    elif category == "float":
        number = (
            f"CASE WHEN isfinite({value}) AND {value} = trunc({value}) AND abs({value}) < 9e18 "
            f"THEN CAST({value} AS BIGINT) END"
        )
    elif category in ("text", "nested"):
        t, d = _column("t", spec), _column("d", spec)
        layers[0][f"t_{name}"] = _text(value)
        layers[1][f"d_{name}"] = (
            f"CASE WHEN regexp_full_match({t}, '{_DECIMAL_TEXT}') THEN TRY_CAST({t} AS DOUBLE) END"
        )
        present = f"{t} IS NOT NULL"
        number = (
            f"CASE WHEN regexp_full_match({t}, '{_INTEGER_TEXT}') THEN TRY_CAST({t} AS BIGINT) "
            f"WHEN {d} = trunc({d}) AND abs({d}) < 9e18 THEN CAST({d} AS BIGINT) END"
        )
    else:
        number = "CAST(NULL AS BIGINT)"
    n = _column("n", spec)
    layers[2][f"n_{name}"] = number
    layers[3][f"c_{name}"] = (
        f"CASE WHEN {present} AND {n} IS NULL THEN 'non_integer' WHEN {n} < 0 THEN 'negative' END"
    )
    return layers


def _text_layers(spec: ExchangeField, source: Expr) -> Layers:
    """Column v_: the value as text (identifiers trimmed, empty meaning absent)."""
    text = as_text(Expr(_column("in", spec), source.type)).sql
    layers = _new_layers()
    layers[0][f"v_{spec.name}"] = _trimmed(text) if spec.kind is FieldKind.IDENTIFIER else text
    return layers


def _typed_value(spec: ExchangeField) -> str:
    """Final typed value of a field (NULL when its value is invalid)."""
    if spec.kind is FieldKind.TIMESTAMP:
        u, z, c = (_column(p, spec) for p in "uzc")
        in_range = f"BETWEEN {_EARLIEST_US} AND {_LATEST_US - 1}"
        return (
            f"CASE {c} WHEN 'epoch' THEN CASE WHEN {u} {in_range} "
            f"THEN CAST(make_timestamp(CAST({u} AS BIGINT)) AS TIMESTAMPTZ) END "
            f"WHEN 'instant' THEN CASE WHEN {z} >= TIMESTAMPTZ '{EARLIEST.isoformat()}' "
            f"AND {z} < TIMESTAMPTZ '{LATEST.isoformat()}' THEN {z} END END"
        )
    if spec.kind is FieldKind.COUNT:
        return f"CASE WHEN {_column('c', spec)} IS NULL THEN {_column('n', spec)} END"
    return _column("v", spec)


def _rules(spec: ExchangeField, source: Expr) -> list[tuple[str, Reason, str]]:
    """(condition, reason, detail SQL) for one field, in the order they are checked.

    Details quote the raw value; CASE computes them only for the rows a rule rejects.
    """
    name = spec.name
    field = quote_identifier(name)
    raw = f"concat('''', {_raw(spec, source)}, '''')"
    rules: list[tuple[str, Reason, str]] = []
    if spec.kind is FieldKind.TIMESTAMP:
        code = _column("c", spec)
        if spec.required:
            rules.append((f"{code} IS NULL", Reason.MISSING_REQUIRED, ""))
        rules += [
            (
                f"{code} = 'unparseable'",
                Reason.UNPARSEABLE_TIMESTAMP,
                f"concat({raw}, ' is not a time; use ISO-8601 with Z or an offset, "
                "or epoch seconds/ms/us/ns')",
            ),
            (
                f"{code} = 'ambiguous'",
                Reason.AMBIGUOUS_TIMESTAMP,
                f"concat({raw}, ' has no time zone; log Z or an offset, or pass --naive-timestamps utc "
                "if the source is known to write UTC')",
            ),
            (
                f"{code} IS NOT NULL AND {field} IS NULL",
                Reason.TIMESTAMP_OUT_OF_RANGE,
                f"concat({raw}, ' is outside {EARLIEST:%Y-%m-%d}..{LATEST:%Y-%m-%d} UTC; "
                "check the epoch unit (seconds/ms/us/ns are told apart by magnitude)')",
            ),
        ]
    elif spec.kind is FieldKind.COUNT:
        code = _column("c", spec)
        if spec.required:
            rules.append((f"{_column('n', spec)} IS NULL AND {code} IS NULL", Reason.MISSING_REQUIRED, ""))
        rules += [
            (f"{code} = 'non_integer'", Reason.NON_INTEGER_COUNT, f"concat({raw}, ' is not a whole number')"),
            (
                f"{code} = 'negative'",
                Reason.NEGATIVE_COUNT,
                f"concat({raw}, ' is negative; counts are >= 0')",
            ),
        ]
    elif spec.required:
        rules.append((f"{field} IS NULL", Reason.MISSING_REQUIRED, ""))
    missing_detail = (
        f"'no value for required field {name}; map a source column to it (--mapping) or fix the source'"
    )
    return [(cond, reason, detail or missing_detail) for cond, reason, detail in rules]


def passthrough(spec: ExchangeField, source: Expr) -> bool:
    """Free text copied as it is needs no SQL: keeping megabytes of prompts out of DuckDB saves
    a copy in and a copy out of every batch."""
    return (
        spec.kind is FieldKind.TEXT
        and not spec.required
        and source.column is not None
        and is_text(source.type)
    )


@dataclass(frozen=True)
class Statement:
    """Validation SQL for one source schema, and the text fields copied around it."""

    sql: str
    copied: dict[str, str]  # canonical field -> source column


def validation_sql(mapping: Mapping, schema: pa.Schema, naive_utc: bool, view: str) -> Statement:
    """The whole statement for a batch whose source columns have `schema`."""
    selection = select(mapping, schema)
    copied = {
        spec.name: str(selection.fields[spec.name].column)
        for spec in EXCHANGE_FIELDS
        if passthrough(spec, selection.fields[spec.name])
    }
    fields = {
        n: (Expr("CAST(NULL AS VARCHAR)", pa.string()) if n in copied else e)
        for n, e in selection.fields.items()
    }
    mapped = [f"{quote_identifier(ROW_COLUMN)} AS row_", f"{selection.extra} AS extra_"]
    mapped += [f"{e.sql} AS {quote_identifier('in_' + n)}" for n, e in fields.items()]
    layers = _new_layers()
    for spec in EXCHANGE_FIELDS:
        source = fields[spec.name]
        if spec.kind is FieldKind.TIMESTAMP:
            field_layers = _timestamp_layers(spec, source, naive_utc)
        elif spec.kind is FieldKind.COUNT:
            field_layers = _count_layers(spec, source)
        else:
            field_layers = _text_layers(spec, source)
        for layer, columns in zip(layers, field_layers, strict=True):
            layer |= columns
    layers.append({spec.name: _typed_value(spec) for spec in EXCHANGE_FIELDS})
    relation = f"(SELECT {', '.join(mapped)} FROM {view})"
    for layer in layers:
        if layer:
            selected = ", ".join(f"{sql} AS {quote_identifier(name)}" for name, sql in layer.items())
            relation = f"(SELECT *, {selected} FROM {relation})"
    problem = (
        "CASE "
        + " ".join(
            f"WHEN {cond} THEN {{'reason': '{reason.value}', 'field': '{spec.name}', 'detail': {detail}}}"
            for spec in EXCHANGE_FIELDS
            for cond, reason, detail in _rules(spec, fields[spec.name])
        )
        + " END"
    )
    outputs = ", ".join(quote_identifier(spec.name) for spec in EXCHANGE_FIELDS)
    sql = (
        f"SELECT {outputs}, row_ AS source_row, extra_ AS extra, "
        f'CAST("timestamp" AS DATE) AS {DATE_COLUMN}, {problem} AS problem_ FROM {relation}'
    )
    return Statement(sql, copied)


@dataclass(frozen=True)
class Checked:
    """A batch split into valid, typed rows and rejected rows (source_row, reason, field, detail)."""

    valid: pa.Table
    rejected: pa.Table


class Validator:
    """Maps and validates batches on one DuckDB connection (use one per thread)."""

    def __init__(self, mapping: Mapping, *, naive_utc: bool, connection: duckdb.DuckDBPyConnection) -> None:
        self._mapping = mapping
        self._naive_utc = naive_utc or mapping.naive_timestamps_utc
        self._connection = connection
        self._connection.execute("SET TimeZone = 'UTC'")
        self._prepared: dict[pa.Schema, tuple[Statement, duckdb.DuckDBPyRelation]] = {}

    def _relation(self, schema: pa.Schema) -> tuple[Statement, duckdb.DuckDBPyRelation]:
        """The statement for a source schema, bound once. A relation looks its view up again
        each time it runs, so re-registering the view for the next batch reuses it; that halves
        the fixed cost per batch, which is mostly binding the long generated statement."""
        prepared = self._prepared.get(schema)
        if prepared is None:
            statement = validation_sql(self._mapping, schema, self._naive_utc, _VIEW)
            self._connection.register(_VIEW, schema.empty_table())
            prepared = statement, self._connection.sql(statement.sql)
            self._prepared[schema] = prepared
        return prepared

    def check(self, table: pa.Table) -> Checked:
        statement, relation = self._relation(table.schema)
        self._connection.register(_VIEW, table)
        try:
            result = relation.to_arrow_table()
        finally:
            self._connection.unregister(_VIEW)
        problem = result.column("problem_")
        rejected_mask = pc.is_valid(problem)
        rejected_count = pc.sum(rejected_mask).as_py() or 0
        keep = pc.invert(rejected_mask)
        valid = result.drop_columns(["problem_"])
        if rejected_count:
            valid = valid.filter(keep)
        for name, column in statement.copied.items():  # DuckDB keeps row order
            values = table.column(column).cast(pa.string())
            valid = valid.set_column(
                valid.schema.get_field_index(name), name, values.filter(keep) if rejected_count else values
            )
        valid = valid.append_column("prompt_chars", pc.utf8_length(valid.column("prompt")).cast(pa.int64()))
        valid = valid.append_column(
            "completion_chars", pc.utf8_length(valid.column("completion")).cast(pa.int64())
        )
        valid = valid.cast(CHECKED_SCHEMA)
        rejected_rows = result.filter(rejected_mask) if rejected_count else result.slice(0, 0)
        flat = rejected_rows.column("problem_").combine_chunks()
        rejected = pa.table(
            {
                "source_row": rejected_rows.column("source_row"),
                "reason": flat.field("reason"),
                "field": flat.field("field"),
                "detail": flat.field("detail"),
            }
        )
        return Checked(valid, rejected)


def positions_of(rows: pa.ChunkedArray[Any], wanted: pa.ChunkedArray[Any] | pa.Array[Any]) -> list[int]:
    """Positions in a batch (whose source rows ascend) of the given source rows."""
    ordered = np.asarray(rows.to_numpy())
    found = np.searchsorted(ordered, np.asarray(wanted.to_numpy(zero_copy_only=False)))
    return [int(p) for p in found]
