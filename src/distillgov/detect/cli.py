"""`distillgov detect`: score accounts, link campaigns, write findings (and an HTML report).

    distillgov detect STORE_OR_FILES... --out findings.json [--report findings.html]

`detect` is a command group whose default command is the scan, so that `distillgov detect
STORE --out f.json` works while further sub-commands keep their own names. Ibis, DuckDB, Arrow
and the detection modules are imported inside the commands, so that `--help` and every other
`distillgov` command start without loading them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from typer.core import TyperGroup

from distillgov.detect.parameters import DEFAULT_MEMORY_LIMIT, ENGINES, PROMPT_DISPLAYS, DetectParameters

DEFAULT_COMMAND = "scan"


class _DefaultCommandGroup(TyperGroup):
    """A group that runs `scan` when the first argument names no sub-command."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h"):
            args = [DEFAULT_COMMAND, *args]
        return super().parse_args(ctx, args)


detect_app = typer.Typer(
    cls=_DefaultCommandGroup,
    help=(
        "Find distillation campaigns: score every account, link swarms, write findings. "
        "`distillgov detect STORE --out findings.json` runs `scan`."
    ),
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    """Add `detect` to the main command."""
    app.add_typer(detect_app, name="detect")


@detect_app.command(DEFAULT_COMMAND)
def scan(
    inputs: list[Path] = typer.Argument(..., help="A store folder, Parquet files or folders of them."),
    out: Path = typer.Option(..., "--out", help="Where to write findings.json."),
    report: Path | None = typer.Option(None, "--report", help="Also write an HTML report here."),
    engine: str = typer.Option("duckdb", "--engine", help=f"One of {', '.join(ENGINES)}."),
    target_fpr: float = typer.Option(0.001, "--target-fpr", help="Share of accounts the threshold aims at."),
    baseline_percentile: float = typer.Option(99.0, "--baseline-percentile"),
    min_requests: int = typer.Option(10, "--min-requests", help="Accounts with fewer are not assessed."),
    prompt_display: str = typer.Option(
        "hashed", "--prompt-display", help=f"Sample prompts in findings: {', '.join(PROMPT_DISPLAYS)}."
    ),
    state: Path | None = typer.Option(
        None, "--state", help="Keep per-account aggregates here; later runs absorb only new inputs."
    ),
    model: Path | None = typer.Option(
        None, "--model", help="Use signal weights learned by `detect fit` instead of the unsupervised rule."
    ),
    threads: int | None = typer.Option(None, "--threads", help="DuckDB threads (default: all cores)."),
    memory_limit: str = typer.Option(
        DEFAULT_MEMORY_LIMIT, "--memory-limit", help="DuckDB memory limit (spills beyond)."
    ),
    temp_directory: Path | None = typer.Option(
        None, "--temp-directory", help="Where DuckDB spills (default: a fresh folder in the system temp)."
    ),
    timings: Path | None = typer.Option(
        None, "--timings", help="Also write each stage's wall and CPU seconds here (JSON)."
    ),
    quiet: bool = typer.Option(False, "--quiet", help="No progress output."),
) -> None:
    """Score every account and write findings."""
    from distillgov.detect.engines import Engine, InputError
    from distillgov.detect.findings import build_findings
    from distillgov.detect.pipeline import STEPS, detect, detect_incremental
    from distillgov.detect.state import StateError
    from distillgov.detect.timing import StageTimer

    timer = StageTimer()
    console = Console(stderr=True, quiet=quiet)
    try:
        params = DetectParameters(
            target_fpr=target_fpr,
            baseline_percentile=baseline_percentile,
            min_requests=min_requests,
            prompt_display=prompt_display,
        )
        with _progress(console) as bar:
            task = bar.add_task("detect", total=STEPS)

            def step(message: str) -> None:
                timer.mark(message)
                bar.update(task, advance=1, description=message)

            runner = Engine(engine, threads=threads, memory_limit=memory_limit, temp_directory=temp_directory)
            if state is None:
                analysis, inputs_read = detect(inputs, params, engine=runner, progress=step)
            else:
                analysis, inputs_read = detect_incremental(
                    inputs, state, params, engine=runner, progress=step
                )
    except (InputError, StateError, ValueError) as error:
        typer.echo(f"error: {error}", err=True)  # shown even with --quiet
        raise typer.Exit(2) from None
    extra: dict[str, Any] = {"engine": engine}
    if model is not None:
        from distillgov.detect.learn import apply_model, load_model
        from distillgov.provenance import sha256_file

        try:
            apply_model(analysis, load_model(model))
        except ValueError as error:
            typer.echo(f"error: {error}", err=True)
            raise typer.Exit(2) from None
        extra["model"] = {"path": str(model), "sha256": sha256_file(model)}
    timer.mark("building findings")
    findings = build_findings(analysis, [i.as_dict() for i in inputs_read], extra)
    timer.mark("writing findings")
    _write_json(out, findings, compact=True)
    if report is not None:
        from distillgov.detect.report import write_report

        timer.mark("writing the report")
        with console.status("writing the report"):
            write_report(analysis, findings, report)
    timer.mark(None)
    if timings is not None:
        _write_json(timings, timer.as_dict())
    summary = findings["summary"]
    console.print(
        f"{summary['accounts']:,} accounts, {summary['flagged']:,} flagged in "
        f"{summary['campaigns']:,} campaign(s) -> {out}",
        highlight=False,
    )


def _progress(console: Console) -> Progress:
    """A bar over the run's steps (the aggregates dominate long runs); silent under --quiet."""
    return Progress(
        SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(), console=console
    )


def _write_json(path: Path, document: dict[str, Any], *, compact: bool = False) -> None:
    """Indented for small documents; compact for findings, which Python's C encoder writes
    several times faster (an indent selects the pure-Python encoder: ~3 s for a 10M-row week)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(
        document, ensure_ascii=False, **({"separators": (",", ":")} if compact else {"indent": 1})
    )
    path.write_text(text + "\n", encoding="utf-8")


@detect_app.command("fit")
def fit(
    inputs: list[Path] = typer.Argument(..., help="Traffic of the labelled period (store or Parquet)."),
    labels: Path = typer.Option(..., "--labels", help="Parquet with account_id and label or campaign_id."),
    out: Path = typer.Option(..., "--out", help="Where to write the model (JSON)."),
    target_fpr: float = typer.Option(0.001, "--target-fpr", help="Benign false-positive rate to aim at."),
    quiet: bool = typer.Option(False, "--quiet"),
) -> None:
    """Learn signal weights from labelled past incidents, with cross-validated figures."""
    from distillgov.detect.engines import InputError
    from distillgov.detect.learn import fit_model, read_labels
    from distillgov.detect.pipeline import detect

    console = Console(stderr=True, quiet=quiet)
    try:
        params = DetectParameters(target_fpr=target_fpr)
        known = read_labels(labels)  # before the scan: a bad labels file fails fast
        with console.status("computing signals") as status:
            analysis, inputs_read = detect(inputs, params, progress=status.update)
        model = fit_model(analysis, known, labels, target_fpr)
    except (InputError, ValueError) as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(2) from None
    model["inputs"] = [i.as_dict() for i in inputs_read]
    _write_json(out, model)
    figures = model["cross_validation"]
    console.print(
        f"cross-validated ({figures['folds']} folds): ROC AUC {figures['roc_auc']}, "
        f"recall {figures['recall']}, precision {figures['precision']}, "
        f"benign FPR {figures['benign_fpr']} -> {out}",
        highlight=False,
    )
