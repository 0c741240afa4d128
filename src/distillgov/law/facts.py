"""Facts: the shared vocabulary, its validation, and the three-valued view the engine reads.

A facts file is evidence someone will rely on, so it is refused rather than repaired when a field
is unknown, mistyped or impossible: every problem names the field's path and what is allowed. A
fact that is absent or written `unknown` is not a problem; it is UNKNOWN, and the engine says which
conclusions depend on it.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, Final

import yaml

from distillgov.law import expr
from distillgov.law.clauses import clauses


class _Unknown:
    """The value of a fact nobody knows. A singleton, compared by identity."""

    _instance: _Unknown | None = None

    def __new__(cls) -> _Unknown:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN: Final = _Unknown()
UNKNOWN_WORDS = ("unknown", "?", "")


class FactsError(ValueError):
    """Facts that cannot be assessed; one message per problem, each starting with the field's path."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Field:
    """One leaf of the vocabulary."""

    path: str
    type: str
    values: tuple[str, ...]
    question: str
    description: str

    def static_type(self) -> expr.Type:
        """The type conditions see, so that rulebooks are checked against the vocabulary."""
        simple = {
            "bool": expr.BOOL,
            "int": expr.NUMBER,
            "number": expr.NUMBER,
            "date": expr.DATE,
            "text": expr.STR,
            "count_or_flag": expr.Type("flag"),
        }
        if self.type in simple:
            return simple[self.type]
        return expr.Type(self.type, frozenset(v for v in self.values if v != "unknown"))

    def allowed(self) -> str:
        """What may be written in this field, for error messages and prompts."""
        described = {
            "bool": "true, false",
            "int": "a whole number >= 0",
            "number": "a number >= 0",
            "count_or_flag": "a whole number >= 0, true, false",
            "date": "a date YYYY-MM-DD",
            "text": "text",
        }
        if self.type in described:
            return f"{described[self.type]}, unknown"
        if self.type == "list":
            return f"a list of: {', '.join(self.values)}; or unknown"
        return f"{', '.join(v for v in self.values if v != 'unknown')}, unknown"

    def coerce(self, value: object) -> object:
        """The value as the engine reads it; raises ValueError naming what is wrong."""
        if value is None or (isinstance(value, str) and value.strip().lower() in UNKNOWN_WORDS):
            return UNKNOWN
        coercer = _COERCERS[self.type]
        return coercer(self, value)

    def parse_text(self, text: str) -> object:
        """An interview answer typed at the terminal, read as this field's type."""
        text = text.strip()
        if text.lower() in UNKNOWN_WORDS:
            return UNKNOWN
        if self.type == "list":
            return self.coerce([item.strip() for item in text.split(",") if item.strip()])
        if self.type in ("bool", "count_or_flag") and text.lower() in _WORDS_FOR_BOOL:
            return self.coerce(_WORDS_FOR_BOOL[text.lower()])
        if self.type in ("int", "number", "count_or_flag"):
            try:
                return self.coerce(float(text) if "." in text else int(text))
            except ValueError:
                raise ValueError(f"{text!r} is not allowed") from None
        return self.coerce(text)


_WORDS_FOR_BOOL = {"true": True, "yes": True, "y": True, "false": False, "no": False, "n": False}


def _bool(field: Field, value: object) -> object:
    if isinstance(value, bool):
        return value
    raise ValueError(f"{value!r} is not true or false")


def _enum(field: Field, value: object) -> object:
    if isinstance(value, str) and value in field.values:
        return value
    raise ValueError(f"{value!r} is not allowed")


def _number(field: Field, value: object) -> object:
    whole = field.type in ("int", "count_or_flag")
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{value!r} is not a number")
    if whole and not isinstance(value, int):
        raise ValueError(f"{value!r} is not a whole number")
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"{value!r} is impossible (must be >= 0)")
    return value


def _count_or_flag(field: Field, value: object) -> object:
    return value if isinstance(value, bool) else _number(field, value)


def _date(field: Field, value: object) -> object:
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise ValueError(f"{value!r} is not a date")


def _text(field: Field, value: object) -> object:
    if isinstance(value, str):
        return value
    raise ValueError(f"{value!r} is not text")


def _list(field: Field, value: object) -> object:
    if not isinstance(value, list | tuple):
        raise ValueError(f"{value!r} is not a list")
    wrong = [item for item in value if item not in field.values]
    if wrong:
        raise ValueError(f"{', '.join(repr(item) for item in wrong)} not allowed")
    return tuple(dict.fromkeys(value))


_COERCERS = {
    "bool": _bool,
    "enum": _enum,
    "int": _number,
    "number": _number,
    "count_or_flag": _count_or_flag,
    "date": _date,
    "text": _text,
    "list": _list,
}


@dataclass(frozen=True)
class Schema:
    """The vocabulary as leaves (by dotted path) and the groups that hold them."""

    fields: dict[str, Field]
    groups: frozenset[str]

    def children(self, group: str) -> list[str]:
        """Names allowed directly under a group ('' is the top level)."""
        prefix = f"{group}." if group else ""
        names = [p[len(prefix) :].split(".")[0] for p in self.fields if p.startswith(prefix)]
        return list(dict.fromkeys(names))

    def fact_type(self, path: str) -> expr.Type | None:
        found = self.fields.get(path)
        return found.static_type() if found else None


@cache
def schema() -> Schema:
    """The shipped vocabulary."""
    text = resources.files("distillgov.law").joinpath("facts_schema.yaml").read_text("utf-8")
    fields: dict[str, Field] = {}
    groups: set[str] = set()
    for path, raw in _leaves(yaml.safe_load(text), ""):
        if raw.get("values_from") == "tos_clauses":
            values: tuple[str, ...] = tuple(clauses())
        else:
            values = tuple(str(v) for v in raw.get("values", ()))
        fields[path] = Field(path, raw["type"], values, raw["question"], raw["description"])
        parts = path.split(".")
        groups.update(".".join(parts[:i]) for i in range(1, len(parts)))
    return Schema(fields, frozenset(groups))


def _leaves(node: Mapping[str, Any], prefix: str) -> Iterator[tuple[str, Mapping[str, Any]]]:
    for key, value in node.items():
        path = f"{prefix}{key}"
        if isinstance(value.get("type"), str):
            yield path, value
        else:
            yield from _leaves(value, f"{path}.")


@dataclass(frozen=True)
class Facts:
    """Validated facts: known values by path; every other field of the vocabulary is UNKNOWN."""

    values: Mapping[str, object]

    def get(self, path: str) -> object:
        return self.values.get(path, UNKNOWN)

    def with_value(self, path: str, value: object) -> Facts:
        """A copy with one field set (UNKNOWN removes it)."""
        updated = {k: v for k, v in self.values.items() if k != path}
        if value is not UNKNOWN:
            updated[path] = value
        return Facts(updated)

    def nested(self) -> dict[str, Any]:
        """The known facts as the nested mapping a facts file would hold."""
        out: dict[str, Any] = {}
        for path in schema().fields:
            if path not in self.values:
                continue
            *parents, leaf = path.split(".")
            node = out
            for part in parents:
                node = node.setdefault(part, {})
            value = self.values[path]
            node[leaf] = list(value) if isinstance(value, tuple) else value
        return out


def validate(data: object) -> Facts:
    """Facts from a parsed facts file; raises FactsError listing every problem."""
    vocabulary = schema()
    problems: list[str] = []
    values: dict[str, object] = {}
    if data is None:
        data = {}
    if not isinstance(data, Mapping):
        raise FactsError(["(top level): the facts must be a mapping of fields"])
    _collect(data, "", vocabulary, values, problems)
    _fill_from_clause(values, problems)
    problems.extend(_impossible_combinations(values))
    if problems:
        raise FactsError(problems)
    return Facts(values)


def _collect(
    node: Mapping[Any, Any], group: str, vocabulary: Schema, values: dict[str, object], problems: list[str]
) -> None:
    allowed = vocabulary.children(group)
    for key, value in node.items():
        path = f"{group}.{key}" if group else str(key)
        if path in vocabulary.fields:
            try:
                coerced = vocabulary.fields[path].coerce(value)
            except ValueError as exc:
                problems.append(f"{path}: {exc}; allowed: {vocabulary.fields[path].allowed()}")
                continue
            if coerced is not UNKNOWN:
                values[path] = coerced
        elif path in vocabulary.groups:
            if isinstance(value, Mapping):
                _collect(value, path, vocabulary, values, problems)
            elif value is not None and value != "unknown":
                fields = ", ".join(vocabulary.children(path))
                problems.append(f"{path}: must be a group of fields; allowed: {fields}")
        else:
            problems.append(f"{path}: unknown field; allowed: {', '.join(allowed)}")


def _fill_from_clause(values: dict[str, object], problems: list[str]) -> None:
    """A library clause decides what the terms prohibit, unless the file already says the same."""
    clause_id = values.get("teacher.terms_of_service.clause")
    if not isinstance(clause_id, str):
        return
    clause = clauses()[clause_id]
    implied: dict[str, object] = {
        "teacher.terms_of_service.prohibits_distillation": clause.prohibits_distillation,
        "teacher.terms_of_service.prohibits_competing_models": clause.prohibits_competing_models,
        "teacher.terms_of_service.assent": clause.assent,
    }
    for path, value in implied.items():
        given = values.get(path, UNKNOWN)
        if given is UNKNOWN:
            values[path] = value
        elif given != value and not path.endswith("assent"):
            problems.append(
                f"{path}: {given!r} contradicts clause {clause_id} ({value!r}); allowed: {value!r}"
            )


def _impossible_combinations(values: Mapping[str, object]) -> list[str]:
    """Values that are each allowed but cannot all be true together."""
    problems: list[str] = []
    accounts = values.get("conduct.accounts")
    fraudulent = values.get("conduct.fraudulent_accounts")
    if isinstance(accounts, int) and type(fraudulent) is int and fraudulent > accounts:
        problems.append(
            f"conduct.fraudulent_accounts: {fraudulent} exceeds conduct.accounts ({accounts}); "
            f"allowed: a count <= {accounts}"
        )
    relationship = values.get("distiller.relationship")
    authorization = values.get("distiller.authorization")
    if relationship == "self" and authorization not in (None, "owner_self"):
        problems.append(
            f"distiller.authorization: {authorization!r} is impossible when distiller.relationship is "
            "'self'; allowed: owner_self, unknown"
        )
    if authorization == "owner_self" and relationship not in (None, "self"):
        problems.append(
            f"distiller.authorization: 'owner_self' is impossible when distiller.relationship is "
            f"{relationship!r}; allowed: none, license, tos_permitted, unknown"
        )
    return problems


def load_facts(path: Path) -> Facts:
    """Read and validate a YAML (or JSON) facts file."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise FactsError([f"(file) {path}: not valid YAML: {exc}".replace("\n", " ")]) from exc
    return validate(data)
