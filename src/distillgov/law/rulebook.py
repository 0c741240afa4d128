"""Rulebooks as data: loading, and every check that can be made before any facts are seen.

A rule is an id, a citation, a condition, a conclusion, a sentence template and the rules it is an
exception to. Because a wrong rulebook gives confident wrong answers, loading refuses anything
suspicious: conditions that do not type-check against the facts vocabulary, conclusions outside a
predicate's values, exceptions to rules of another predicate, cycles, templates naming things that
do not exist, citations to authorities that are not in the authority list.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from distillgov.law import expr
from distillgov.law.facts import schema
from distillgov.law.params import load_parameters

SHIPPED = ("definitions", "current_us", "proposed")
PLACEHOLDER = re.compile(r"\{([^{}]+)\}")
NOT_VERIFIED = "NOT VERIFIED"
_SUBSECTION_AT_END = re.compile(r"\(\w+\)$")
_SUBSECTION_AT_START = re.compile(r"\(\w+\)")


class _RulebookLoader(yaml.SafeLoader):
    """YAML 1.2 booleans only: a conclusion written `yes` must stay the string "yes"."""


_RulebookLoader.yaml_implicit_resolvers = {
    key: [r for r in resolvers if r[0] != "tag:yaml.org,2002:bool"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_RulebookLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


class RulebookError(ValueError):
    """A rulebook that must not be used; one message per problem."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Authority:
    """A source of law or of a claim: statute, case, seed, terms, report."""

    id: str
    cite: str
    kind: str
    verified: str
    url: str | None = None
    note: str | None = None

    @property
    def is_verified(self) -> bool:
        return not self.verified.startswith(NOT_VERIFIED)


@dataclass(frozen=True)
class CitationEntry:
    """One authority with a pinpoint, or a reading this project chose where the sources are silent."""

    authority: Authority | None = None
    pinpoint: str | None = None
    reading: str | None = None

    def text(self) -> str:
        if self.authority is None:
            return f"Reading (assumption): {self.reading}"
        cite, pinpoint = self.authority.cite, self.pinpoint
        if not pinpoint:
            return cite
        if self.authority.kind == "statute":
            # "18 U.S.C. § 1839(6)" with "(6)(A) ('...')" reads "18 U.S.C. § 1839(6)(A) ('...')".
            tail = _SUBSECTION_AT_END.search(cite)
            if tail and pinpoint.startswith(tail.group(0)):
                pinpoint = pinpoint[len(tail.group(0)) :].lstrip()
            return f"{cite}{'' if _SUBSECTION_AT_START.match(pinpoint) else ' '}{pinpoint}".rstrip()
        return f"{cite}, {pinpoint}"

    def as_dict(self) -> dict[str, Any]:
        if self.authority is None:
            return {"kind": "reading", "text": self.text(), "assumption": True}
        return {
            "kind": self.authority.kind,
            "authority": self.authority.id,
            "text": self.text(),
            "verified": self.authority.verified,
            **({"url": self.authority.url} if self.authority.url else {}),
        }


@dataclass(frozen=True)
class Rule:
    id: str
    predicate: str
    conclusion: str
    condition_source: str
    condition: expr.Expr
    template: str
    citation: tuple[CitationEntry, ...]
    exception_to: tuple[str, ...]
    rulebook: str

    @property
    def readings(self) -> tuple[str, ...]:
        return tuple(e.text() for e in self.citation if e.reading)

    def citation_text(self) -> str:
        return "; ".join(entry.text() for entry in self.citation)


@dataclass(frozen=True)
class Predicate:
    name: str
    question: str
    values: tuple[str, ...]
    rules: tuple[Rule, ...]
    rulebook: str

    def exceptions_of(self, rule_id: str) -> tuple[Rule, ...]:
        return tuple(r for r in self.rules if rule_id in r.exception_to)

    @property
    def roots(self) -> tuple[Rule, ...]:
        return tuple(r for r in self.rules if not r.exception_to)


@dataclass(frozen=True)
class Rulebook:
    name: str
    title: str
    version: str
    sha256: str
    imports: tuple[str, ...]
    predicates: tuple[str, ...]

    def provenance(self) -> dict[str, str]:
        return {"name": self.name, "title": self.title, "version": self.version, "sha256": self.sha256}


@dataclass(frozen=True)
class Library:
    """Loaded rulebooks with their predicates, rules and authorities, all cross-checked."""

    rulebooks: Mapping[str, Rulebook]
    predicates: Mapping[str, Predicate]
    authorities: Mapping[str, Authority]

    @property
    def rules(self) -> dict[str, Rule]:
        return {rule.id: rule for p in self.predicates.values() for rule in p.rules}

    def closure(self, rulebook: str) -> list[Rulebook]:
        """A rulebook and everything it imports, imports first."""
        seen: dict[str, Rulebook] = {}

        def visit(name: str) -> None:
            for imported in self.rulebooks[name].imports:
                visit(imported)
            seen.setdefault(name, self.rulebooks[name])

        visit(rulebook)
        return list(seen.values())


class _Vocabulary:
    """What conditions may name, as expr.check expects it."""

    def __init__(self, predicates: Mapping[str, tuple[str, ...]], visible: Iterable[str]) -> None:
        self._predicates = predicates
        self._visible = set(visible)
        self._params = load_parameters().parameters

    def fact_type(self, path: str) -> expr.Type | None:
        return schema().fact_type(path)

    def predicate_type(self, name: str) -> expr.Type | None:
        if name not in self._visible:
            return None
        return expr.Type("conclusion", frozenset(self._predicates[name]))

    def param_type(self, name: str) -> expr.Type | None:
        found = self._params.get(name)
        if found is None:
            return None
        return expr.STR if isinstance(found.values[0].value, str) else expr.NUMBER


def load_library(paths: Iterable[Path] | None = None, authorities: Path | None = None) -> Library:
    """Load and check rulebooks (the shipped ones by default); raises RulebookError."""
    sources = (
        [(p.stem, p.read_bytes()) for p in paths]
        if paths is not None
        else [(n, _shipped_bytes(f"rulebooks/{n}.yaml")) for n in SHIPPED]
    )
    authority_bytes = (
        authorities.read_bytes() if authorities else _shipped_bytes("rulebooks/authorities.yaml")
    )
    return _build(sources, _load_authorities(authority_bytes))


@cache
def shipped_library() -> Library:
    """The shipped rulebooks, loaded once."""
    return load_library()


def _shipped_bytes(relative: str) -> bytes:
    return resources.files("distillgov.law").joinpath(relative).read_bytes()


def _load_authorities(data: bytes) -> dict[str, Authority]:
    raw = yaml.safe_load(data)["authorities"]
    return {
        key: Authority(id=key, **{k: " ".join(str(v).split()) for k, v in value.items()})
        for key, value in raw.items()
    }


def _build(sources: list[tuple[str, bytes]], authorities: dict[str, Authority]) -> Library:
    problems: list[str] = []
    raws = {name: yaml.load(data, Loader=_RulebookLoader) for name, data in sources}
    domains = {
        pname: tuple(str(v) for v in pdata.get("values", ()))
        for raw in raws.values()
        for pname, pdata in (raw.get("predicates") or {}).items()
    }
    rulebooks: dict[str, Rulebook] = {}
    predicates: dict[str, Predicate] = {}
    for name, data in sources:
        raw = raws[name]
        imports = tuple(raw.get("imports", ()))
        for imported in imports:
            if imported not in raws:
                problems.append(f"{name}: imports unknown rulebook {imported!r}")
        visible = _visible_predicates(name, raws)
        vocabulary = _Vocabulary(domains, visible)
        own = raw.get("predicates") or {}
        for pname, pdata in own.items():
            if pname in predicates:
                problems.append(f"{pname}: predicate defined twice")
            predicates[pname] = _predicate(name, pname, pdata, vocabulary, authorities, problems)
        rulebooks[name] = Rulebook(
            name,
            str(raw["title"]),
            str(raw["version"]),
            hashlib.sha256(data).hexdigest(),
            imports,
            tuple(own),
        )
    library = Library(rulebooks, predicates, authorities)
    problems.extend(_structural_problems(library))
    if problems:
        raise RulebookError(problems)
    return library


def _visible_predicates(name: str, raws: Mapping[str, Any]) -> set[str]:
    visible: set[str] = set()
    stack, seen = [name], set()
    while stack:
        current = stack.pop()
        if current in seen or current not in raws:
            continue
        seen.add(current)
        visible.update((raws[current].get("predicates") or {}).keys())
        stack.extend(raws[current].get("imports", ()))
    return visible


def _predicate(
    rulebook: str,
    name: str,
    data: Mapping[str, Any],
    vocabulary: _Vocabulary,
    authorities: Mapping[str, Authority],
    problems: list[str],
) -> Predicate:
    values = tuple(str(v) for v in data.get("values", ()))
    rules = tuple(
        _rule(rulebook, name, values, raw, vocabulary, authorities, problems) for raw in data.get("rules", ())
    )
    if not rules:
        problems.append(f"{name}: has no rules")
    return Predicate(name, " ".join(str(data.get("question", "")).split()), values, rules, rulebook)


def _rule(
    rulebook: str,
    predicate: str,
    values: tuple[str, ...],
    raw: Mapping[str, Any],
    vocabulary: _Vocabulary,
    authorities: Mapping[str, Authority],
    problems: list[str],
) -> Rule:
    rule_id = str(raw.get("id", f"{predicate}.?"))
    source = " ".join(str(raw.get("condition", "")).split())
    condition: expr.Expr = expr.Literal(False)
    try:
        condition = expr.parse(source)
        problems.extend(f"{rule_id}: condition: {p}" for p in expr.check(condition, vocabulary))
    except expr.ExpressionError as exc:
        problems.append(f"{rule_id}: condition: {exc}")
    conclusion = str(raw.get("conclusion"))
    if conclusion not in values:
        problems.append(f"{rule_id}: conclusion {conclusion!r} is not one of {', '.join(values)}")
    template = " ".join(str(raw.get("template", "")).split())
    if not template:
        problems.append(f"{rule_id}: has no template")
    for placeholder in PLACEHOLDER.findall(template):
        if not _placeholder_known(placeholder, vocabulary):
            problems.append(f"{rule_id}: template names unknown {placeholder!r}")
    citation = tuple(_citation(rule_id, entry, authorities, problems) for entry in raw.get("citation", ()))
    if not citation:
        problems.append(f"{rule_id}: has no citation")
    return Rule(
        rule_id,
        predicate,
        conclusion,
        source,
        condition,
        template,
        citation,
        tuple(raw.get("exception_to", ())),
        rulebook,
    )


def _placeholder_known(placeholder: str, vocabulary: _Vocabulary) -> bool:
    placeholder = placeholder.split("|")[0]
    if placeholder.startswith("param:"):
        return vocabulary.param_type(placeholder[6:]) is not None
    if placeholder.startswith("@"):
        return vocabulary.predicate_type(placeholder[1:]) is not None
    return vocabulary.fact_type(placeholder) is not None


def _citation(
    rule_id: str, entry: Mapping[str, Any], authorities: Mapping[str, Authority], problems: list[str]
) -> CitationEntry:
    if "reading" in entry:
        return CitationEntry(reading=" ".join(str(entry["reading"]).split()))
    key = str(entry.get("authority"))
    if key not in authorities:
        problems.append(f"{rule_id}: cites unknown authority {key!r}")
        return CitationEntry(reading=f"missing authority {key}")
    pinpoint = entry.get("pinpoint")
    return CitationEntry(authorities[key], " ".join(str(pinpoint).split()) if pinpoint else None)


def _structural_problems(library: Library) -> list[str]:
    """Duplicate ids, exceptions across predicates, and cycles in exceptions or in predicates."""
    problems: list[str] = []
    seen: set[str] = set()
    for predicate in library.predicates.values():
        own = {r.id for r in predicate.rules}
        for rule in predicate.rules:
            if rule.id in seen:
                problems.append(f"{rule.id}: rule id used twice")
            seen.add(rule.id)
            for parent in rule.exception_to:
                if parent not in own:
                    problems.append(
                        f"{rule.id}: exception to {parent!r}, which is not a rule of {predicate.name}"
                    )
        graph = {r.id: [p for p in r.exception_to if p in own] for r in predicate.rules}
        problems.extend(f"{predicate.name}: exceptions form a cycle through {c}" for c in _cycles(graph))
    dependencies = {name: sorted(predicates_read(p)) for name, p in library.predicates.items()}
    problems.extend(f"predicates depend on each other in a cycle through {c}" for c in _cycles(dependencies))
    return problems


def predicates_read(predicate: Predicate) -> set[str]:
    """The predicates a predicate's conditions refer to."""
    return {
        node.predicate
        for rule in predicate.rules
        for node in expr.walk(rule.condition)
        if isinstance(node, expr.Conclusion)
    }


def _cycles(graph: Mapping[str, list[str]]) -> list[str]:
    """A node on each cycle of a directed graph (depth-first, colours)."""
    colour: dict[str, int] = {}
    found: list[str] = []

    def visit(node: str) -> None:
        colour[node] = 1
        for nxt in graph.get(node, ()):
            if colour.get(nxt) == 1:
                found.append(nxt)
            elif nxt not in colour:
                visit(nxt)
        colour[node] = 2

    for node in graph:
        if node not in colour:
            visit(node)
    return found
