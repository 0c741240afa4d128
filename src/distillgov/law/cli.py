"""`distillgov assess` and `distillgov rules`: the law stage's commands.

Bad input is refused, not repaired: facts or parameters that cannot be used print one line per
problem (the field's path and what is allowed) on stderr and exit with status 2.
"""

from __future__ import annotations

import json
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import NoReturn

import typer

from distillgov.law import memo
from distillgov.law.assess import report, run
from distillgov.law.facts import Facts, FactsError, Field, load_facts
from distillgov.law.interview import interview
from distillgov.law.params import ParameterError, load_parameters
from distillgov.law.rulebook import shipped_library
from distillgov.provenance import sha256_file

BAD_INPUT = 2


class Regime(StrEnum):
    current_us = "current-us"
    proposed = "proposed"
    both = "both"


class Format(StrEnum):
    json = "json"
    md = "md"
    html = "html"


def _refuse(problems: list[str]) -> NoReturn:
    for problem in problems:
        typer.echo(problem, err=True)
    raise typer.Exit(BAD_INPUT)


def _as_of(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a date; allowed: YYYY-MM-DD") from None


def _ask(field: Field) -> object:
    while True:
        text = typer.prompt(f"{field.question} [{field.allowed()}]", default="unknown", show_default=False)
        try:
            return field.parse_text(text)
        except ValueError as exc:
            typer.echo(f"{field.path}: {exc}; allowed: {field.allowed()}", err=True)


def _warn(problems: list[str]) -> None:
    for problem in problems:
        typer.echo(problem, err=True)


def assess(
    facts_file: Path | None = typer.Argument(None, help="Facts file (YAML); optional with --interview."),
    regime: Regime = typer.Option(Regime.both, "--regime", help="Which rulebook(s) to apply."),
    as_of: str | None = typer.Option(None, "--as-of", help="Assess at this date (YYYY-MM-DD)."),
    params: Path | None = typer.Option(None, "--params", help="Parameters file overriding the defaults."),
    fmt: Format = typer.Option(Format.json, "--format", help="json (the report), md or html (the memo)."),
    ask: bool = typer.Option(
        False, "--interview", help="Ask in the terminal for the facts the rules still need."
    ),
    output: Path | None = typer.Option(None, "--output", "-o", help="Write here instead of stdout."),
) -> None:
    """Assess distillation conduct under current US law and/or the proposed regime."""
    if facts_file is None and not ask:
        _refuse(["FACTS: a facts file is required unless --interview is given"])
    when = _as_of(as_of)
    regimes = ("current_us", "proposed") if regime is Regime.both else (regime.value.replace("-", "_"),)
    try:
        parameters = load_parameters(params)
        facts = load_facts(facts_file) if facts_file else Facts({})
    except (FactsError, ParameterError) as exc:
        _refuse(exc.problems)
    except OSError as exc:
        _refuse([f"{facts_file}: cannot read: {exc.strerror}"])
    digest = sha256_file(facts_file) if facts_file and not ask else None
    if ask:
        facts = interview(facts, _ask, _warn, regimes=regimes, as_of=when, parameters=parameters)
    result = report(run(facts, as_of=when, regimes=regimes, parameters=parameters, facts_sha256=digest))
    text = (
        json.dumps(result, indent=2, ensure_ascii=False) + "\n"
        if fmt is Format.json
        else memo.render(result, fmt.value)
    )
    if output:
        output.write_text(text, encoding="utf-8")
    else:
        typer.echo(text, nl=False)


rules_app = typer.Typer(help="Browse the rulebooks and their citations.", no_args_is_help=True)


@rules_app.command("list")
def rules_list(
    rulebook: str | None = typer.Option(None, "--rulebook", help="definitions, current_us or proposed."),
    markdown: bool = typer.Option(False, "--markdown", help="A Markdown catalogue (the one in docs/law.md)."),
) -> None:
    """Every rule: id, predicate and conclusion, exceptions, citation."""
    library = shipped_library()
    if rulebook is not None and rulebook not in library.rulebooks:
        _refuse([f"--rulebook: {rulebook!r} is unknown; allowed: {', '.join(library.rulebooks)}"])
    lines = ["| Rule | Concludes | Exception to | Citation |", "|---|---|---|---|"] if markdown else []
    for predicate in library.predicates.values():
        if rulebook not in (None, predicate.rulebook):
            continue
        for rule in predicate.rules:
            concludes = f"{predicate.name} = {rule.conclusion}"
            over = ", ".join(rule.exception_to)
            if markdown:
                cells = (f"`{rule.id}`", f"`{concludes}`", over, rule.citation_text().replace("|", "\\|"))
                lines.append("| " + " | ".join(cells) + " |")
            else:
                exception = f" (exception to {over})" if over else ""
                lines.append(f"{rule.id}\t{concludes}{exception}\t{rule.citation_text()}")
    typer.echo("\n".join(lines))


@rules_app.command("show")
def rules_show(rule_id: str = typer.Argument(..., help="A rule id from `rules list`.")) -> None:
    """One rule in full: condition, sentence, exceptions, citations and their verification."""
    library = shipped_library()
    rule = library.rules.get(rule_id)
    if rule is None:
        close = ", ".join([r for r in library.rules if rule_id.split(".")[0] in r][:8])
        _refuse([f"{rule_id}: unknown rule; allowed: an id from `distillgov rules list` (e.g. {close})"])
    predicate = library.predicates[rule.predicate]
    exceptions = [e.id for e in predicate.exceptions_of(rule.id)]
    lines = [
        f"rule:          {rule.id}  (rulebook {rule.rulebook})",
        f"predicate:     {predicate.name} — {predicate.question}",
        f"conclusion:    {rule.conclusion}",
        f"condition:     {rule.condition_source}",
        f"sentence:      {rule.template}",
        f"exception to:  {', '.join(rule.exception_to) or '—'}",
        f"exceptions:    {', '.join(exceptions) or '—'}",
        "citation:",
    ]
    for entry in rule.citation:
        lines.append(f"  - {entry.text()}")
        if entry.authority is not None:
            lines.append(f"    verified: {entry.authority.verified}")
    typer.echo("\n".join(lines))


def register(app: typer.Typer) -> None:
    """Add `assess` and `rules` to the top-level app."""
    app.command("assess")(assess)
    app.add_typer(rules_app, name="rules")
