"""Dated, referenced parameters (OpenFisca style) and the regime's window and levy arithmetic.

Numbers in law change over time and each must be traceable to a source, so a parameter is a list
of (start date, value, reference) and is always read *at* a date. The proposed regime's numbers are
not in any source this project has; they ship as explicit `UNSOURCED — assumption` values that an
override file can replace without touching code.

This module is also the library surface for the registry: `load_parameters`, `parameter_at`,
`license_window` and `levy_terms` resolve the same files at a notice's date.
"""

from __future__ import annotations

import calendar
import hashlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import date
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from distillgov.provenance import sha256_file

UNSOURCED = "UNSOURCED — assumption"
DEFAULT_SOURCE = "distillgov/law/parameters/parameters.yaml"

ParamValue = int | float | str


class ParameterError(ValueError):
    """A parameter file that cannot be used; one message per problem."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


class ParameterNotInForceError(LookupError):
    """A parameter read at a date before its first value."""


@dataclass(frozen=True)
class DatedValue:
    start: date
    value: ParamValue
    reference: str
    source: str

    @property
    def unsourced(self) -> bool:
        return self.reference.lstrip().startswith(UNSOURCED)


@dataclass(frozen=True)
class ResolvedParameter:
    """A parameter's value at a date, with everything needed to cite it."""

    name: str
    value: ParamValue
    effective_from: date
    reference: str
    unsourced: bool
    source: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "value": self.value,
            "effective_from": self.effective_from.isoformat(),
            "reference": self.reference,
            "unsourced": self.unsourced,
            "source": self.source,
        }

    def show(self) -> str:
        """The value as a justification prints it: flagged wherever it is unsourced."""
        return f"{self.value} ({UNSOURCED})" if self.unsourced else str(self.value)


@dataclass(frozen=True)
class Parameter:
    name: str
    description: str
    unit: str
    values: tuple[DatedValue, ...]

    def at(self, when: date) -> ResolvedParameter:
        """The value in force on `when` (the latest start on or before it)."""
        current = [v for v in self.values if v.start <= when]
        if not current:
            first = self.values[0].start.isoformat()
            raise ParameterNotInForceError(
                f"{self.name} has no value before {first} (asked for {when.isoformat()})"
            )
        chosen = current[-1]
        return ResolvedParameter(
            self.name, chosen.value, chosen.start, chosen.reference, chosen.unsourced, chosen.source
        )


@dataclass(frozen=True)
class ParameterSet:
    """All parameters, after any overrides, with the files they came from."""

    parameters: Mapping[str, Parameter]
    sources: tuple[dict[str, str], ...]

    def at(self, name: str, when: date) -> ResolvedParameter:
        return self.parameters[name].at(when)

    def with_overrides(self, path: Path) -> ParameterSet:
        """These parameters with an override file merged in by date."""
        source = str(path)
        try:
            raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as exc:
            raise ParameterError([f"{source}: cannot read parameters: {exc}".replace("\n", " ")]) from exc
        if not isinstance(raw, Mapping):
            raise ParameterError([f"{source}: a parameters file must be a mapping"])
        problems: list[str] = []
        merged = dict(self.parameters)
        for name, node in _leaves(raw, ""):
            if name not in merged:
                problems.append(f"{name}: unknown parameter; allowed: {', '.join(sorted(merged))}")
                continue
            values = _dated_values(name, node, source, problems)
            kind = type(merged[name].values[0].value) is str
            for value in values:
                if (type(value.value) is str) != kind:
                    problems.append(
                        f"{name}.values.{value.start}: a {'text' if kind else 'number'} is required"
                    )
            by_date = {v.start: v for v in merged[name].values} | {v.start: v for v in values}
            merged[name] = replace(merged[name], values=tuple(by_date[d] for d in sorted(by_date)))
        if problems:
            raise ParameterError(problems)
        return ParameterSet(merged, (*self.sources, {"path": source, "sha256": sha256_file(path)}))


def _leaves(node: Mapping[str, Any], prefix: str) -> Iterator[tuple[str, Mapping[str, Any]]]:
    for key, value in node.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping) and "values" in value:
            yield name, value
        elif isinstance(value, Mapping):
            yield from _leaves(value, f"{name}.")
        else:
            yield name, {}


def _dated_values(name: str, node: Mapping[str, Any], source: str, problems: list[str]) -> list[DatedValue]:
    raw_values = node.get("values")
    if not isinstance(raw_values, Mapping) or not raw_values:
        problems.append(f"{name}: needs 'values: {{YYYY-MM-DD: {{value, reference}}}}'")
        return []
    out: list[DatedValue] = []
    for start, entry in raw_values.items():
        where = f"{name}.values.{start}"
        if not isinstance(start, date):
            problems.append(f"{where}: the key must be a date YYYY-MM-DD")
            continue
        if not isinstance(entry, Mapping) or "value" not in entry:
            problems.append(f"{where}: needs a value and a reference")
            continue
        value, reference = entry["value"], entry.get("reference")
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            problems.append(f"{where}.value: {value!r} is not a number or text")
            continue
        if not isinstance(reference, str) or not reference.strip():
            problems.append(f"{where}.reference: every value needs a reference (or '{UNSOURCED}: ...')")
            continue
        out.append(DatedValue(start, value, " ".join(reference.split()), source))
    return sorted(out, key=lambda v: v.start)


def load_parameters(overrides: Path | None = None) -> ParameterSet:
    """The shipped parameters, with an override file merged in when given."""
    base = _shipped_parameters()
    return base.with_overrides(overrides) if overrides else base


@cache
def _shipped_parameters() -> ParameterSet:
    text = resources.files("distillgov.law").joinpath("parameters/parameters.yaml").read_text("utf-8")
    problems: list[str] = []
    parameters: dict[str, Parameter] = {}
    for name, node in _leaves(yaml.safe_load(text), ""):
        values = _dated_values(name, node, DEFAULT_SOURCE, problems)
        parameters[name] = Parameter(name, " ".join(node["description"].split()), node["unit"], tuple(values))
    if problems:
        raise ParameterError(problems)
    return ParameterSet(parameters, ({"path": DEFAULT_SOURCE, "sha256": _shipped_sha256()},))


def _shipped_sha256() -> str:
    data = resources.files("distillgov.law").joinpath("parameters/parameters.yaml").read_bytes()
    return hashlib.sha256(data).hexdigest()


def parameter_at(name: str, when: date, overrides: Path | None = None) -> ResolvedParameter:
    """One parameter at a date; raises ParameterNotInForceError before its first value."""
    return load_parameters(overrides).at(name, when)


def add_months(start: date, months: int | float) -> date:
    """`start` plus whole months, clamped to the month's last day (31 Jan + 1 month = 28/29 Feb)."""
    whole = int(months)
    index = start.month - 1 + whole
    year, month = start.year + index // 12, index % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


@dataclass(frozen=True)
class LicenseWindow:
    """The compulsory-licensing window that starts at `start`, by the length in force at `resolved_at`."""

    start: date
    ends: date
    months: ResolvedParameter

    def open_on(self, day: date) -> bool:
        """Open from its start up to, not including, its end date."""
        return self.start <= day < self.ends


def license_window(start: date, resolved_at: date, parameters: ParameterSet) -> LicenseWindow:
    """The window opened by a teacher's release (or a notice) on `start`."""
    months = parameters.at("proposed.compulsory_license.window_months", resolved_at)
    if isinstance(months.value, str):
        raise ParameterError([f"{months.name}: must be a number of months"])
    return LicenseWindow(start, add_months(start, months.value), months)


@dataclass(frozen=True)
class LevyTerms:
    base: ResolvedParameter
    rate: ResolvedParameter


def levy_terms(resolved_at: date, parameters: ParameterSet) -> LevyTerms:
    """The levy's base and rate in force on a date."""
    return LevyTerms(
        parameters.at("proposed.levy.base", resolved_at), parameters.at("proposed.levy.rate", resolved_at)
    )
