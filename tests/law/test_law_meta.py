"""Tests over the rulebooks themselves: a growing catalogue stays cited, exercised and documented."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from typer.testing import CliRunner

from distillgov.cli import app
from distillgov.law import expr
from distillgov.law.assess import ANSWERS, report
from distillgov.law.clauses import clauses
from distillgov.law.params import load_parameters
from distillgov.law.rulebook import PLACEHOLDER, predicates_read, shipped_library

from .scenarios import applied, load, names

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs" / "law.md"
LAW_SOURCES = ROOT / "src" / "distillgov" / "law"
REPORT_ONLY_PARAMETERS = {"proposed.levy.base", "proposed.levy.rate"}  # read by the report, not by a rule


@cache
def exercised() -> frozenset[str]:
    found: set[str] = set()
    for name in names():
        assessment = load(name).assessment()
        report(assessment)
        found |= applied(assessment)
    return frozenset(found)


def test_every_rule_has_a_citation_a_template_and_valid_exceptions() -> None:
    library = shipped_library()
    for rule in library.rules.values():
        assert rule.citation, rule.id
        assert rule.template.strip(), rule.id
        own = {r.id for r in library.predicates[rule.predicate].rules}
        assert set(rule.exception_to) <= own - {rule.id}, rule.id
        assert rule.conclusion in library.predicates[rule.predicate].values, rule.id


def test_every_rule_is_exercised_by_some_scenario() -> None:
    assert not sorted(set(shipped_library().rules) - exercised())


def test_every_authority_is_cited_by_some_rule() -> None:
    library = shipped_library()
    cited = {e.authority.id for r in library.rules.values() for e in r.citation if e.authority}
    assert not sorted(set(library.authorities) - cited)


def test_every_parameter_is_used() -> None:
    used = set(REPORT_ONLY_PARAMETERS)
    for rule in shipped_library().rules.values():
        used |= {n.name for n in expr.walk(rule.condition) if isinstance(n, expr.Param)}
        used |= {p[6:] for p in PLACEHOLDER.findall(rule.template) if p.startswith("param:")}
    assert set(load_parameters().parameters) == used


def test_every_rule_that_reads_a_parameter_shows_it_in_its_sentence() -> None:
    """So that an UNSOURCED value is flagged in every justification that relies on it."""
    for rule in shipped_library().rules.values():
        read = {n.name for n in expr.walk(rule.condition) if isinstance(n, expr.Param)}
        shown = {p[6:] for p in PLACEHOLDER.findall(rule.template) if p.startswith("param:")}
        assert read <= shown, rule.id


def test_every_predicate_feeds_a_reported_answer() -> None:
    library = shipped_library()
    reachable: set[str] = set()
    frontier = [p for answers in ANSWERS.values() for _, p in answers]
    while frontier:
        name = frontier.pop()
        if name not in reachable:
            reachable.add(name)
            frontier.extend(predicates_read(library.predicates[name]))
    assert reachable == set(library.predicates)


def test_every_clause_carries_provider_wording_and_the_basis_of_its_date() -> None:
    for clause in clauses().values():
        assert clause.provider and clause.wording and clause.url.startswith("https://")
        assert clause.date is not None or clause.date_basis.startswith("UNVERIFIED")
        assert clause.wording_verified
        if not clause.wording_verified.startswith(("checked", "fragment checked")):
            assert clause.wording.startswith("PARAPHRASE"), clause.id


def test_every_scenario_is_described() -> None:
    for name in names():
        assert len(load(name).description) > 40, name


def test_the_docs_catalogue_is_current() -> None:
    """docs/law.md embeds `distillgov rules list --markdown`; regenerate it when a rule changes."""
    catalogue = CliRunner().invoke(app, ["rules", "list", "--markdown"]).stdout.strip()
    text = DOCS.read_text(encoding="utf-8")
    embedded = text.split("<!-- rules:begin -->")[1].split("<!-- rules:end -->")[0].strip()
    assert embedded == catalogue


def test_the_docs_list_every_unsourced_parameter_and_every_reading() -> None:
    text = " ".join(DOCS.read_text(encoding="utf-8").split())
    for parameter in load_parameters().parameters.values():
        assert f"`{parameter.name}`" in text, parameter.name
    for rule in shipped_library().rules.values():
        if rule.readings:
            assert f"`{rule.id}`" in text.split("## Readings")[1], rule.id


def test_the_law_package_never_evaluates_python() -> None:
    for path in LAW_SOURCES.rglob("*.py"):
        assert not re.search(r"(?<![.\w])(eval|exec|compile)\(", path.read_text(encoding="utf-8")), path
