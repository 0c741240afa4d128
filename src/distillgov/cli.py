"""The `distillgov` command: a thin Typer front over the library.

Each stage owns its commands in its own `*_cli.py` module and registers them here, so this
file stays a table of contents rather than a second home for logic.
"""

from __future__ import annotations

import typer

from distillgov import __version__, demo_cli
from distillgov.detect import cli as detect_cli
from distillgov.forensics import cli as forensics_cli
from distillgov.law import cli as law_cli
from distillgov.registry import cli as registry_cli
from distillgov.traffic import ingest_cli, simulate_cli
from distillgov.watermark import cli as watermark_cli

app = typer.Typer(
    name="distillgov",
    help=(
        "Govern AI model distillation: simulate and ingest API traffic, find harvesting "
        "campaigns, and reason about the conduct under current US law and a proposed regime."
    ),
    no_args_is_help=True,
    rich_markup_mode="rich",
    pretty_exceptions_show_locals=False,
)


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"distillgov {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: bool = typer.Option(
        False, "--version", callback=_print_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """Govern AI model distillation."""


simulate_cli.register(app)
ingest_cli.register(app)
law_cli.register(app)
demo_cli.register(app)
detect_cli.register(app)
forensics_cli.register(app)
watermark_cli.register(app)
registry_cli.register(app)
