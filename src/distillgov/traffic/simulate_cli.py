"""`distillgov simulate`: write a labelled week of synthetic API traffic, or list the scenarios."""

from __future__ import annotations

import sys
import time
from datetime import date
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from distillgov.traffic.simulator.engine import SimulationConfig, SimulationResult, simulate
from distillgov.traffic.simulator.populations import PRESETS
from distillgov.traffic.simulator.progress import RichReporter, Silent
from distillgov.traffic.simulator.scenarios import SCENARIOS
from distillgov.traffic.simulator.writer import FORMATS


def _scenario_table() -> Table:
    table = Table(title="Scenarios (share of rows by population)")
    table.add_column("scenario", style="bold")
    table.add_column("description")
    table.add_column("mix")
    for scenario in SCENARIOS.values():
        mix = ", ".join(f"{PRESETS[name].label} {share:.1%}" for name, share in scenario.shares().items())
        table.add_row(scenario.name, scenario.description, mix)
    return table


def _summary(result: SimulationResult, seconds: float) -> Table:
    table = Table(
        title=f"{result.rows:,} rows in {seconds:.1f}s ({result.rows / max(seconds, 1e-9):,.0f} rows/s)"
    )
    table.add_column("population")
    table.add_column("rows", justify="right")
    for label, rows in result.rows_by_population.items():
        table.add_row(label, f"{rows:,}")
    return table


def _check(config: SimulationConfig) -> None:
    if config.format not in FORMATS:
        raise typer.BadParameter(f"choose one of {', '.join(FORMATS)}", param_hint="--format")
    if config.scenario not in SCENARIOS:
        raise typer.BadParameter(f"choose one of {', '.join(SCENARIOS)}", param_hint="--scenario")


def register(app: typer.Typer) -> None:
    """Add this stage's commands to the top-level app."""

    @app.command("simulate")
    def simulate_command(
        out: Path | None = typer.Option(
            None, "--out", help="Directory to write exchanges, labels and manifest into."
        ),
        rows: int = typer.Option(100_000, "--rows", min=1, help="Exact number of exchanges to write."),
        days: int = typer.Option(7, "--days", min=1, help="Length of the simulated window in days."),
        start: str = typer.Option("2026-11-16", "--start", help="First UTC day of the window (YYYY-MM-DD)."),
        seed: int = typer.Option(0, "--seed", help="Same seed and options give identical output."),
        scenario: str = typer.Option("default", "--scenario", help="Population mix; see --list-scenarios."),
        fmt: str = typer.Option("parquet", "--format", help=f"One of: {', '.join(FORMATS)}."),
        split_by_day: bool = typer.Option(
            False, "--split-by-day", help="One file per UTC day under exchanges/."
        ),
        completion_chars: int = typer.Option(
            240, "--completion-chars", min=0, help="Keep this many characters of each completion (0: none)."
        ),
        corrupt_rate: float = typer.Option(
            0.0, "--corrupt-rate", min=0.0, max=0.5, help="Fraction of rows given a recorded fault."
        ),
        memory_limit: str = typer.Option("1GB", "--memory-limit", help="DuckDB memory limit for the sort."),
        threads: int | None = typer.Option(
            None, "--threads", min=1, help="DuckDB threads (default: all cores)."
        ),
        list_scenarios: bool = typer.Option(False, "--list-scenarios", help="List scenarios and exit."),
        quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar or summary."),
    ) -> None:
        """Simulate API traffic: benign customers with distillation campaigns hidden among them."""
        console = Console()
        if list_scenarios:
            console.print(_scenario_table())
            return
        if out is None:
            raise typer.BadParameter("is required", param_hint="--out")
        try:
            first_day = date.fromisoformat(start)
        except ValueError:
            raise typer.BadParameter("expected YYYY-MM-DD", param_hint="--start") from None
        config = SimulationConfig(
            out=out,
            rows=rows,
            days=days,
            start=first_day,
            seed=seed,
            scenario=scenario,
            format=fmt,
            split_by_day=split_by_day,
            completion_chars=completion_chars,
            corrupt_rate=corrupt_rate,
            memory_limit=memory_limit,
            threads=threads,
        )
        _check(config)
        began = time.perf_counter()
        if quiet or not sys.stderr.isatty():
            result = simulate(config, Silent())
        else:
            with RichReporter() as reporter:
                result = simulate(config, reporter)
        if not quiet:
            console.print(_summary(result, time.perf_counter() - began))
            files = f"{len(result.files)} exchange file(s), {result.labels.name}, {result.manifest.name}"
            console.print(f"wrote {files} to {out}", highlight=False)
