"""`distillgov demo`: run the end-to-end demo and show its summary as tables."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.table import Table


def _population_table(summary: dict[str, Any]) -> Table:
    table = Table(title="rows in the store, by simulated population (labels joined after ingest)")
    for column in ("population", "rows", "accounts", "campaigns", "output tokens"):
        table.add_column(column, justify="left" if column == "population" else "right")
    for row in summary["populations"]:
        table.add_row(
            row["population"],
            f"{row['rows']:,}",
            f"{row['accounts']:,}",
            f"{row['campaigns']:,}",
            f"{row['output_tokens'] or 0:,}",
        )
    return table


def _detection_table(detection: dict[str, Any]) -> Table:
    table = Table(title="detection, scored against the labels after the fact")
    for column in ("population", "accounts", "flagged", "flagged share"):
        table.add_column(column, justify="left" if column == "population" else "right")
    for population, counts in detection["by_population"].items():
        share = counts["flagged"] / counts["accounts"] if counts["accounts"] else 0.0
        table.add_row(population, f"{counts['accounts']:,}", f"{counts['flagged']:,}", f"{share:.1%}")
    return table


def _print_summary(summary: dict[str, Any], console: Console) -> None:
    console.print(
        f"\n[bold]simulated[/] {summary['simulated_rows']:,} rows over {summary['parameters']['days']} days "
        f"(scenario {summary['parameters']['scenario']}, seed {summary['parameters']['seed']})"
    )
    console.print(
        f"[bold]ingested[/] read {summary['rows_read']:,}, stored {summary['rows_stored']:,}, "
        f"rejected {summary['rows_rejected']:,}; {summary['accounts']:,} accounts over {summary['days']} days"
    )
    for reason, count in summary["rejected_by_reason"].items():
        console.print(f"  quarantined for {reason}: {count:,}")
    faults = summary.get("injected_faults")
    if faults:
        injected = sum(faults["injected"].values())
        console.print(
            f"[bold]injected log faults[/] {injected:,}: caught at the right line with the right reason "
            f"{faults['caught']:,}, missed {faults['missed']:,}, other rows quarantined {faults['other']:,}"
        )
    console.print(_population_table(summary))
    console.print(_detection_table(summary["detection"]))
    detection = summary["detection"]
    console.print(
        f"[bold]detection[/] flagged {detection['flagged_accounts']:,} accounts in "
        f"{detection['campaigns_reported']} campaign(s); simulated campaigns found "
        f"{detection['true_campaigns_found']} of {detection['true_campaigns']} "
        "(found = most of its accounts flagged under one campaign id)"
    )
    console.print(
        f"findings: {detection['findings']}\nreport:   {detection['report']}\nsummary:  summary.json"
    )


def demo_command(
    out: Path = typer.Option(
        Path("demo-output"), "--out", "-o", help="Folder for everything the demo writes."
    ),
    rows: int = typer.Option(300_000, "--rows", min=1000, help="Exchanges to simulate."),
    seed: int = typer.Option(7, "--seed", help="Simulator seed."),
) -> None:
    """Simulate a week of API traffic, ingest it, detect campaigns, and score each stage against the truth."""
    # Imports every stage (Ibis, the simulator): only when the demo runs, not on every `distillgov` start.
    from distillgov.demo import DemoConfig, run_demo
    from distillgov.traffic.simulator.progress import RichReporter

    console = Console()
    with RichReporter() as reporter:
        summary = run_demo(DemoConfig(out=out, rows=rows, seed=seed), reporter)
    _print_summary(summary, console)


def register(app: typer.Typer) -> None:
    """Add `demo` to the top-level app."""
    app.command("demo")(demo_command)
