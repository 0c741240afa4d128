"""Where each canonical field comes from in a given log layout, as DuckDB SQL over the source.

Without a mapping, a source column named like a canonical field feeds it. A YAML mapping file
(`ingest --mapping FILE`, or the name of a shipped one such as `litellm_spendlogs`) says
otherwise, field by field:

    name: my-gateway
    naive_timestamps: utc          # optional: this layout stores UTC without a zone
    fields:
      request_id: id                           # a source column
      account_id: [customer.id, user]          # first non-null of several; dots descend into
                                               # nested objects, lists by index, JSON text
      model: {const: my-model-v1}              # a constant
      status: {column: outcome, default: ok}   # a fallback when the column is null
      prompt: {column: messages, extract: last_user_text}
      completion: {column: response, extract: output_text}
    drop: [headers]                # columns neither mapped nor kept as extras

Every source column that no field reads, and that is not dropped, is kept in the row's
`extra` JSON object. `extract` understands OpenAI-style chat messages (`content` as a string or
a list of parts), OpenTelemetry GenAI messages (`parts`), a request body with `messages`, and
for output also `choices[0].message`, `choices[0].text` and Anthropic-style `content` parts; a
plain string that is not a JSON list or object is taken as the text itself.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from importlib import resources
from pathlib import Path
from typing import Any

import pyarrow as pa
import yaml

from distillgov.traffic.readers.base import ROW_COLUMN
from distillgov.traffic.schema import EXCHANGE_FIELDS, FIELDS_BY_NAME, FieldKind

Scalar = str | int | float | bool


class MappingError(Exception):
    """A mapping file that cannot be used; the message names the file and the entry."""


class Extract(StrEnum):
    LAST_USER_TEXT = "last_user_text"
    OUTPUT_TEXT = "output_text"


@dataclass(frozen=True)
class FieldSource:
    """Candidate source columns (first non-null wins), or a constant, for one canonical field."""

    columns: tuple[str, ...] = ()
    extract: Extract | None = None
    const: Scalar | None = None
    default: Scalar | None = None


@dataclass(frozen=True)
class Mapping:
    name: str
    fields: dict[str, FieldSource] = field(default_factory=dict)
    drop: frozenset[str] = frozenset()
    naive_timestamps_utc: bool = False

    def source(self, name: str) -> FieldSource:
        return self.fields.get(name) or FieldSource(columns=(name,))

    def string_columns(self) -> frozenset[str]:
        """Source columns that feed timestamps, which readers must not let type-inference touch."""
        return frozenset(
            column
            for spec in EXCHANGE_FIELDS
            if spec.kind is FieldKind.TIMESTAMP
            for column in self.source(spec.name).columns
        )


CANONICAL = Mapping(name="canonical")


@dataclass(frozen=True)
class Expr:
    """SQL over the source view, and the Arrow type of its value."""

    sql: str
    type: pa.DataType
    column: str | None = None  # set when the value is exactly this source column


NULL = Expr("NULL", pa.null())


def quote_identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def quote_literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _literal(value: Scalar) -> Expr:
    if isinstance(value, bool):
        return Expr("TRUE" if value else "FALSE", pa.bool_())
    if isinstance(value, int):
        return Expr(f"CAST({value} AS BIGINT)", pa.int64())
    if isinstance(value, float):
        return Expr(f"CAST({value!r} AS DOUBLE)", pa.float64())
    return Expr(quote_literal(value), pa.string())


def is_text(data_type: pa.DataType) -> bool:
    return (
        pa.types.is_string(data_type)
        or pa.types.is_large_string(data_type)
        or pa.types.is_string_view(data_type)
    )


def is_nested(data_type: pa.DataType) -> bool:
    return pa.types.is_nested(data_type)


def as_text(expr: Expr) -> Expr:
    """The value as text: nested values as JSON, scalars as DuckDB writes them."""
    if is_text(expr.type) or pa.types.is_null(expr.type):
        return (
            Expr(expr.sql, pa.string()) if is_text(expr.type) else Expr("CAST(NULL AS VARCHAR)", pa.string())
        )
    if is_nested(expr.type):
        return Expr(f"CAST(to_json({expr.sql}) AS VARCHAR)", pa.string())
    return Expr(f"CAST({expr.sql} AS VARCHAR)", pa.string())


def _as_json(expr: Expr) -> str:
    if is_nested(expr.type):
        return f"to_json({expr.sql})"
    if is_text(expr.type):
        return f"try_cast({expr.sql} AS JSON)"
    return "CAST(NULL AS JSON)"


def _json_path(segments: Iterable[str]) -> str:
    path = "$"
    for segment in segments:
        path += f"[{int(segment)}]" if segment.isdigit() else '."' + segment.replace('"', '\\"') + '"'
    return quote_literal(path)


def _descend(expr: Expr, segments: list[str]) -> Expr:
    """Follow a dotted path into structs, lists (by 0-based index) and JSON text."""
    for position, segment in enumerate(segments):
        data_type = expr.type
        if pa.types.is_struct(data_type) and data_type.get_field_index(segment) >= 0:
            child = data_type.field(segment).type
            expr = Expr(f"struct_extract({expr.sql}, {quote_literal(segment)})", child)
        elif (pa.types.is_list(data_type) or pa.types.is_large_list(data_type)) and segment.isdigit():
            expr = Expr(f"({expr.sql})[{int(segment) + 1}]", data_type.value_type)
        elif is_text(data_type):
            rest = _json_path(segments[position:])
            return Expr(f"json_extract_string(try_cast({expr.sql} AS JSON), {rest})", pa.string())
        else:
            return NULL
    return expr


def resolve(path: str, schema: pa.Schema) -> tuple[Expr, str | None]:
    """A column or dotted path as SQL, and the top-level column it reads (None if absent)."""
    if path in schema.names:
        return Expr(quote_identifier(path), schema.field(path).type, column=path), path
    parts = path.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        head = ".".join(parts[:cut])
        if head in schema.names:
            column = Expr(quote_identifier(head), schema.field(head).type)
            return _descend(column, parts[cut:]), head
    return NULL, None


def _coalesce(exprs: list[Expr]) -> Expr:
    present = [e for e in exprs if not pa.types.is_null(e.type)]
    if not present:
        return NULL
    if len(present) == 1:
        return present[0]
    if all(e.type == present[0].type for e in present):
        return Expr(f"coalesce({', '.join(e.sql for e in present)})", present[0].type)
    return Expr(f"coalesce({', '.join(as_text(e).sql for e in present)})", pa.string())


# SQL for the `extract` functions, over a JSON value. DuckDB macros cannot nest lambdas
# reliably, so these are spliced in as text.
def _part_text(parts: str) -> str:
    return (
        "nullif(array_to_string(list_filter(list_transform("
        f"CAST(json_extract({parts}, '$[*]') AS JSON[]), "
        "lambda part_: CASE WHEN json_type(part_) = 'VARCHAR' THEN part_->>'$' "
        "WHEN coalesce(part_->>'type', 'text') IN ('text', 'input_text', 'output_text') "
        "THEN coalesce(part_->>'text', part_->>'content') END), "
        "lambda text_: text_ IS NOT NULL), chr(10)), '')"
    )


def _message_text(message: str) -> str:
    return (
        f"CASE json_type({message}, '$.content') WHEN 'VARCHAR' THEN {message}->>'content' "
        f"WHEN 'ARRAY' THEN {_part_text(f'{message}->' + quote_literal('content'))} "
        f"ELSE CASE WHEN json_type({message}, '$.parts') = 'ARRAY' "
        f"THEN {_part_text(f'{message}->' + quote_literal('parts'))} END END"
    )


def _last_user_text(value: str) -> str:
    messages = (
        f"CASE json_type({value}) WHEN 'ARRAY' THEN {value} "
        f"WHEN 'OBJECT' THEN CASE WHEN json_type({value}, '$.messages') = 'ARRAY' "
        f"THEN {value}->'messages' ELSE json_array({value}) END END"
    )
    last_user = (
        f"list_last(list_filter(CAST(json_extract({messages}, '$[*]') AS JSON[]), "
        "lambda message_: message_->>'role' = 'user'))"
    )
    return _message_text(last_user)


def _output_text(value: str) -> str:
    first_choice = f"({value}->'$.choices[0].message')"
    return (
        f"CASE json_type({value}) WHEN 'ARRAY' THEN {_message_text(f'({value}->0)')} "
        f"WHEN 'OBJECT' THEN coalesce({_message_text(first_choice)}, "
        f"{value}->>'$.choices[0].text', {_message_text(value)}, {value}->>'$.output_text') END"
    )


_EXTRACTORS: dict[Extract, Callable[[str], str]] = {
    Extract.LAST_USER_TEXT: _last_user_text,
    Extract.OUTPUT_TEXT: _output_text,
}


def _extracted(expr: Expr, extract: Extract) -> Expr:
    if pa.types.is_null(expr.type):
        return NULL
    value = _as_json(expr)
    text = _EXTRACTORS[extract](value)
    if is_text(expr.type):  # plain text that is not a JSON list or object is the text itself
        text = f"CASE WHEN json_type({value}) IN ('ARRAY', 'OBJECT') THEN {text} ELSE {expr.sql} END"
    return Expr(text, pa.string())


@dataclass(frozen=True)
class Selection:
    """The mapping applied to one source schema."""

    fields: dict[str, Expr]
    extra: str  # SQL giving the JSON object text of unmapped columns, or NULL
    extra_columns: tuple[str, ...]


def select(mapping: Mapping, schema: pa.Schema) -> Selection:
    """SQL for every canonical field and for the extras, given the columns a batch really has."""
    consumed: set[str] = {ROW_COLUMN}
    fields: dict[str, Expr] = {}
    for spec in EXCHANGE_FIELDS:
        source = mapping.source(spec.name)
        if source.const is not None:
            fields[spec.name] = _literal(source.const)
            continue
        candidates = []
        for column in source.columns:
            expr, head = resolve(column, schema)
            if head is not None:
                consumed.add(head)
            candidates.append(_extracted(expr, source.extract) if source.extract else expr)
        expr = _coalesce(candidates)
        if source.default is not None:
            expr = _coalesce([as_text(expr), as_text(_literal(source.default))])
        fields[spec.name] = expr
    extra_columns = tuple(n for n in schema.names if n not in consumed and n not in mapping.drop)
    return Selection(fields, _extra_sql(extra_columns), extra_columns)


def _extra_sql(columns: tuple[str, ...]) -> str:
    if not columns:
        return "CAST(NULL AS VARCHAR)"
    packed = ", ".join(f"{quote_identifier(c)} := {quote_identifier(c)}" for c in columns)
    # A merge patch onto {} drops null members: a key absent from a JSON line stays absent.
    return f"CAST(nullif(json_merge_patch('{{}}', to_json(struct_pack({packed}))), '{{}}') AS VARCHAR)"


def _field_source(name: str, entry: Any, origin: str) -> FieldSource:
    if isinstance(entry, str):
        return FieldSource(columns=(entry,))
    if isinstance(entry, list) and entry and all(isinstance(c, str) for c in entry):
        return FieldSource(columns=tuple(entry))
    if isinstance(entry, dict):
        unknown = set(entry) - {"column", "const", "extract", "default"}
        if unknown:
            raise MappingError(f"{origin}: field {name!r} has unknown keys {sorted(unknown)}")
        if "const" in entry:
            if set(entry) != {"const"}:
                raise MappingError(f"{origin}: field {name!r}: `const` cannot be combined with other keys")
            return FieldSource(const=entry["const"])
        columns = entry.get("column")
        if isinstance(columns, str):
            columns = [columns]
        if not (isinstance(columns, list) and columns and all(isinstance(c, str) for c in columns)):
            raise MappingError(
                f"{origin}: field {name!r} needs `column` (a name or a list of names) or `const`"
            )
        extract = entry.get("extract")
        if extract is not None and extract not in {e.value for e in Extract}:
            choices = [e.value for e in Extract]
            raise MappingError(f"{origin}: field {name!r}: unknown extract {extract!r}; use one of {choices}")
        return FieldSource(
            tuple(columns), Extract(extract) if extract else None, default=entry.get("default")
        )
    raise MappingError(f"{origin}: field {name!r} must be a column name, a list of names, or a mapping")


def parse_mapping(document: Any, origin: str) -> Mapping:
    """Validate a mapping document and name what is wrong with it."""
    if not isinstance(document, dict):
        raise MappingError(f"{origin}: a mapping file is a YAML mapping with a `fields` entry")
    unknown = set(document) - {"name", "description", "naive_timestamps", "fields", "drop"}
    if unknown:
        raise MappingError(f"{origin}: unknown top-level keys {sorted(unknown)}")
    entries = document.get("fields") or {}
    if not isinstance(entries, dict):
        raise MappingError(f"{origin}: `fields` must map canonical field names to sources")
    bad = sorted(set(entries) - set(FIELDS_BY_NAME))
    if bad:
        raise MappingError(
            f"{origin}: {bad} are not canonical fields; the fields are {sorted(FIELDS_BY_NAME)}"
        )
    naive = document.get("naive_timestamps")
    if naive not in (None, "utc", "reject"):
        raise MappingError(f"{origin}: naive_timestamps must be `utc` or `reject`, not {naive!r}")
    drop = document.get("drop") or []
    if not (isinstance(drop, list) and all(isinstance(c, str) for c in drop)):
        raise MappingError(f"{origin}: `drop` must be a list of column names")
    return Mapping(
        name=str(document.get("name") or origin),
        fields={name: _field_source(name, entry, origin) for name, entry in entries.items()},
        drop=frozenset(drop),
        naive_timestamps_utc=naive == "utc",
    )


def shipped_mappings() -> list[str]:
    """Names of the mappings that ship with distillgov (`mappings/*.yaml`)."""
    folder = resources.files("distillgov.traffic") / "mappings"
    return sorted(p.name.removesuffix(".yaml") for p in folder.iterdir() if p.name.endswith(".yaml"))


def load_mapping(source: str) -> Mapping:
    """A mapping from a YAML file, or by the name of a shipped one."""
    path = Path(source)
    if not path.exists() and source in shipped_mappings():
        text = (resources.files("distillgov.traffic") / "mappings" / f"{source}.yaml").read_text("utf-8")
        origin = f"shipped mapping {source}"
    else:
        try:
            text = path.read_text("utf-8")
        except OSError as error:
            raise MappingError(
                f"cannot read mapping file {source}: {error.strerror}; shipped mappings: {shipped_mappings()}"
            ) from None
        origin = str(path)
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise MappingError(f"{origin}: not valid YAML ({error})") from None
    return parse_mapping(document, origin)
