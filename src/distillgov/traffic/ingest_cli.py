"""`distillgov ingest`, `distillgov keygen` and `distillgov store-info`: the data layer's commands.

Exit codes of `ingest`: 0 success; 1 more rows rejected than `--max-reject-rate` allows
(everything valid is still stored); 2 a file could not be read at all (the other files are
still ingested) or the run could not start (bad key, mapping or store). When both 1 and 2
apply, 2 wins: a missing file is the more basic problem.
"""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Any

import duckdb
import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)
from rich.table import Table

from distillgov.traffic.ingest import IngestOptions, IngestResult, ingest
from distillgov.traffic.mapping import CANONICAL, MappingError, load_mapping, shipped_mappings
from distillgov.traffic.pseudonymize import KeyFileError, generate_key, key_is_private
from distillgov.traffic.readers import Format
from distillgov.traffic.store import StoreError, open_store

EXIT_REJECTS = 1
EXIT_FAILED = 2


class FormatChoice(StrEnum):
    AUTO = "auto"
    JSONL = "jsonl"
    CSV = "csv"
    PARQUET = "parquet"
    OTLP = "otlp"


class NaiveChoice(StrEnum):
    REJECT = "reject"
    UTC = "utc"


def _console(quiet: bool) -> Console:
    """The progress bar lives on stderr, so that stdout holds only the summary."""
    return Console(stderr=True, quiet=quiet)


def _error(message: str) -> None:
    """Errors go to stderr unwrapped, so that file names and paths stay whole."""
    typer.echo(f"error: {message}", err=True)


def _progress(console: Console, quiet: bool) -> Progress:
    return Progress(
        TextColumn("[bold]ingest"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        console=console,
        disable=quiet or not console.is_terminal,
        transient=True,
    )


def _summary(result: IngestResult, console: Console) -> None:
    table = Table(title=f"ingest {result.ingest_id}", show_header=True)
    for column in ("file", "format", "read", "stored", "rejected", "problem"):
        table.add_column(column, justify="right" if column in ("read", "stored", "rejected") else "left")
    for report in result.files:
        table.add_row(
            report.path,
            report.format or "",
            f"{report.rows_read:,}",
            f"{report.rows_stored:,}",
            f"{report.rows_rejected:,}",
            report.error or "",
        )
    console.print(table)
    console.print(
        f"rows read {result.rows_read:,}, stored {result.rows_stored:,}, "
        f"rejected {result.rows_rejected:,} ({result.reject_rate:.2%})"
    )
    for reason, count in sorted(result.by_reason.items()):
        console.print(f"  {reason}: {count:,}")
    if result.quarantine:
        console.print(f"quarantine: {result.quarantine}")
    console.print(f"manifest: {result.manifest}")


def ingest_command(
    sources: list[str] = typer.Argument(
        ..., help="Files, folders (searched recursively) or globs.", show_default=False
    ),
    out: Path = typer.Option(
        ..., "--out", "-o", help="Store folder (created if missing, appended to if a store)."
    ),
    format: FormatChoice = typer.Option(
        FormatChoice.AUTO, "--format", help="Input format; auto: from name and content."
    ),
    mapping: str | None = typer.Option(
        None,
        "--mapping",
        help=f"YAML column mapping file, or a shipped one: {', '.join(shipped_mappings())}.",
    ),
    naive_timestamps: NaiveChoice = typer.Option(
        NaiveChoice.REJECT,
        "--naive-timestamps",
        help="Zone-less timestamps: quarantine them, or read them as UTC.",
    ),
    pseudonymize: Path | None = typer.Option(
        None, "--pseudonymize", help="Key file: replace identifiers by keyed HMAC pseudonyms (see keygen)."
    ),
    drop_text: bool = typer.Option(
        False,
        "--drop-text",
        help="Keep only lengths and a MinHash signature of prompts, no prompt/completion text.",
    ),
    max_reject_rate: float = typer.Option(
        0.01,
        "--max-reject-rate",
        min=0.0,
        max=1.0,
        help="Exit 1 when more than this fraction of rows is rejected.",
    ),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar and no summary."),
) -> None:
    """Read API logs into the normalized store; bad rows go to the quarantine with the reason."""
    console = _console(quiet)
    try:
        chosen = load_mapping(mapping) if mapping else CANONICAL
        if pseudonymize and pseudonymize.exists() and not key_is_private(pseudonymize):
            typer.echo(f"warning: key file {pseudonymize} is readable by other users; chmod 600 it", err=True)
        options = IngestOptions(
            store=out,
            format=None if format is FormatChoice.AUTO else Format(format.value),
            mapping=chosen,
            naive_timestamps_utc=naive_timestamps is NaiveChoice.UTC,
            key_file=pseudonymize,
            drop_text=drop_text,
            max_reject_rate=max_reject_rate,
        )
        with _progress(console, quiet) as progress:
            task = progress.add_task("ingest", total=None)
            result = ingest(
                sources,
                options,
                lambda n: progress.advance(task, n),
                on_total=lambda total: progress.update(task, total=total),
            )
    except (MappingError, KeyFileError, StoreError) as error:
        _error(str(error))
        raise typer.Exit(EXIT_FAILED) from None
    _summary(result, Console(quiet=quiet))
    for report in result.failed_files:
        _error(f"{report.path}: {report.error}")
    if result.failed_files:
        raise typer.Exit(EXIT_FAILED)
    if result.reject_rate > max_reject_rate:
        _error(
            f"{result.rows_rejected:,} of {result.rows_read:,} rows rejected "
            f"({result.reject_rate:.2%} > --max-reject-rate {max_reject_rate:.2%}); see {result.quarantine}"
        )
        raise typer.Exit(EXIT_REJECTS)


def keygen_command(
    keyfile: Path = typer.Argument(..., help="Where to write the key (created with mode 0600)."),
    force: bool = typer.Option(False, "--force", help="Replace an existing key file."),
) -> None:
    """Create a pseudonymization key: 32 random bytes, hex-encoded, readable only by you."""
    try:
        fingerprint = generate_key(keyfile, overwrite=force)
    except KeyFileError as error:
        _error(str(error))
        raise typer.Exit(EXIT_FAILED) from None
    typer.echo(f"wrote {keyfile} (fingerprint {fingerprint})")
    typer.echo("Keep it secret and keep it: pseudonyms made under another key will not match.")


def store_summary(root: Path) -> dict[str, Any]:
    """Counts that say what a store holds; also the JSON of `store-info --json`."""
    store = open_store(root)
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    scan = store.scan_sql()
    rows, accounts, days, first, last = con.execute(
        f"SELECT count(*), count(DISTINCT account_id), count(DISTINCT date), min(date), max(date) FROM {scan}"
    ).fetchone() or (0, 0, 0, None, None)
    models = dict(
        con.execute(f"SELECT model, count(*) FROM {scan} GROUP BY model ORDER BY 2 DESC, 1").fetchall()
    )
    quarantine = store.quarantine_files()
    rejected: dict[str, int] = {}
    if quarantine:
        files = ", ".join("'" + str(p).replace("'", "''") + "'" for p in quarantine)
        rejected = dict(
            con.execute(
                f"SELECT reason, count(*) FROM read_parquet([{files}]) GROUP BY reason ORDER BY 1"
            ).fetchall()
        )
    settings = store.settings()
    return {
        "store": str(root),
        "rows": rows,
        "accounts": accounts,
        "days": days,
        "first_day": str(first) if first else None,
        "last_day": str(last) if last else None,
        "models": models,
        "rejected": rejected,
        "ingests": len(list((root / "manifests").glob("*.json"))),
        "pseudonymized_key": settings.key_fingerprint if settings else None,
        "drop_text": settings.drop_text if settings else False,
    }


def store_info_command(
    store: Path = typer.Argument(..., help="A store written by `distillgov ingest`."),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
) -> None:
    """Summarize a store: rows, accounts, days, models, rejected rows by reason."""
    try:
        summary = store_summary(store)
    except StoreError as error:
        _error(str(error))
        raise typer.Exit(EXIT_FAILED) from None
    if as_json:
        typer.echo(json.dumps(summary, indent=2))
        return
    console = Console()
    console.print(f"store {summary['store']}")
    console.print(f"rows {summary['rows']:,}  accounts {summary['accounts']:,}  ingests {summary['ingests']}")
    console.print(f"days {summary['days']} ({summary['first_day']} .. {summary['last_day']})")
    privacy = (
        f"pseudonymized (key {summary['pseudonymized_key']})" if summary["pseudonymized_key"] else "raw ids"
    )
    console.print(f"privacy: {privacy}{', text dropped' if summary['drop_text'] else ''}")
    console.print("models:")
    for model, count in summary["models"].items():
        console.print(f"  {model}: {count:,}")
    total = sum(summary["rejected"].values())
    console.print(f"rejected {total:,}")
    for reason, count in summary["rejected"].items():
        console.print(f"  {reason}: {count:,}")


def register(app: typer.Typer) -> None:
    """Add this stage's commands to the top-level app."""
    app.command("ingest")(ingest_command)
    app.command("keygen")(keygen_command)
    app.command("store-info")(store_info_command)
