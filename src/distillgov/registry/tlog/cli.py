"""`distillgov registry verify ...`: check the registry's log with nothing but its public key.

Exit status 0 when every check passed, 1 when the log failed a check (the message names which:
signature, entry, tile, rollback or fork), 2 when the check could not run (bad key, file or source).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NoReturn

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from distillgov.registry.tlog import verify
from distillgov.registry.tlog.source import SourceError

OK, FAILED, BAD_INPUT = 0, 1, 2

SOURCE_HELP = "A saved log folder, or the log's URL prefix (e.g. https://registry.example/log)."
VKEY_HELP = "The log's verifier key (<name>+<key id>+<base64>), or a file holding it."
JSON_HELP = "Print the result as JSON."

verify_app = typer.Typer(
    name="verify",
    help="Verify the registry's transparency log offline: checkpoint, inclusion of an entry, consistency.",
    no_args_is_help=True,
)


def register(registry_app: typer.Typer) -> None:
    """Add the `verify` commands under the registry's command group."""
    registry_app.add_typer(verify_app, name="verify")


@verify_app.command("checkpoint")
def checkpoint_command(
    source: str = typer.Argument(..., help=SOURCE_HELP),
    vkey: str = typer.Option(..., "--vkey", help=VKEY_HELP),
    audit: bool = typer.Option(False, "--audit", help="Also check every tile and every entry of the tree."),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """Check the checkpoint's signature and that the log's tiles reproduce its root."""
    with _progress(audit and not as_json) as progress:
        _run(lambda: verify.verify_checkpoint(source, _key(vkey), audit=audit, progress=progress), as_json)


@verify_app.command("inclusion")
def inclusion_command(
    source: str = typer.Argument(..., help=SOURCE_HELP),
    vkey: str = typer.Option(..., "--vkey", help=VKEY_HELP),
    index: int = typer.Option(..., "--index", min=0, help="Index of the entry in the log."),
    decision: Path | None = typer.Option(
        None, "--decision", help="JSON file of the decision expected at INDEX (canonicalized per RFC 8785)."
    ),
    entry: Path | None = typer.Option(
        None, "--entry", help="File with the exact entry bytes expected at INDEX."
    ),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """Check that entry INDEX is in the signed tree (and, if given, that it is this decision)."""
    if decision is not None and entry is not None:
        _refuse("give --decision or --entry, not both", as_json)
    expected: bytes | dict[str, Any] | None = None
    if decision is not None:
        expected = _read_decision(decision, as_json)
    elif entry is not None:
        expected = _read_file(entry, as_json)
    _run(lambda: verify.verify_inclusion(source, _key(vkey), index, expected), as_json)


@verify_app.command("consistency")
def consistency_command(
    source: str = typer.Argument(..., help=SOURCE_HELP),
    vkey: str = typer.Option(..., "--vkey", help=VKEY_HELP),
    old: Path = typer.Option(..., "--old", help="A checkpoint of this log saved earlier."),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """Check that the log's current tree extends an older checkpoint (no rollback, no rewritten history)."""
    old_checkpoint = _read_file(old, as_json)
    _run(lambda: verify.verify_consistency(source, _key(vkey), old_checkpoint), as_json)


@verify_app.command("save")
def save_command(
    url: str = typer.Argument(..., help="The log's URL prefix (e.g. https://registry.example/log)."),
    folder: Path = typer.Argument(..., help="Folder to save the log into (created if missing)."),
    vkey: str | None = typer.Option(None, "--vkey", help=VKEY_HELP + " Default: the key the log serves."),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """Save a verified copy of the log (checkpoint, key, tiles, entries) for offline verification."""
    key = None if vkey is None else _key(vkey)
    with _progress(not as_json) as progress:
        _run(lambda: verify.save_log(url, folder, key, progress=progress), as_json)


def _run(check: Callable[[], verify.Report], as_json: bool) -> None:
    try:
        report = check()
    except verify.VerificationError as exc:
        _finish(FAILED, type(exc).__name__, str(exc), as_json)
    except (verify.BadInputError, SourceError) as exc:
        _finish(BAD_INPUT, type(exc).__name__, str(exc), as_json)
    if as_json:
        typer.echo(json.dumps(report.to_json(), indent=2))
        return
    checkpoint = report.checkpoint
    typer.echo(
        f"OK: {report.kind} of {checkpoint.origin} at size {checkpoint.size} ({checkpoint.root_base64})"
    )
    for line in report.checks:
        typer.echo(f"  - {line}")


def _finish(status: int, kind: str, message: str, as_json: bool) -> NoReturn:
    if as_json:
        typer.echo(json.dumps({"ok": False, "error": kind, "message": message}, indent=2))
    verdict = "verification FAILED" if status == FAILED else "cannot verify"
    typer.echo(f"{verdict}: {kind}: {message}", err=True)
    raise typer.Exit(status)


def _refuse(message: str, as_json: bool) -> NoReturn:
    _finish(BAD_INPUT, "BadInputError", message, as_json)


def _key(value: str) -> str:
    """A key typed on the command line, or read from the file it names."""
    path = Path(value)
    return path.read_text(encoding="utf-8").strip() if path.is_file() else value


def _read_file(path: Path, as_json: bool) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        _refuse(f"{path}: cannot read ({exc.strerror})", as_json)


def _read_decision(path: Path, as_json: bool) -> dict[str, Any]:
    try:
        decision = json.loads(_read_file(path, as_json))
    except ValueError as exc:
        _refuse(f"{path}: not JSON ({exc})", as_json)
    if not isinstance(decision, dict):
        _refuse(f"{path}: a decision is a JSON object, got {type(decision).__name__}", as_json)
    return decision


@contextmanager
def _progress(show: bool) -> Iterator[verify.Progress | None]:
    """A progress bar on stderr for reads of the whole log; nothing when output is JSON."""
    if not show:
        yield None
        return
    with Progress(
        TextColumn("reading log"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    ) as bar:
        task = bar.add_task("log", total=None)

        def advance(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield advance
