"""`distillgov watermark serve|detect`: a watermarking teacher endpoint, and detection with provenance.

Heavy libraries (torch, transformers, FastAPI) are imported inside the commands, so that
`distillgov --help` stays fast.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

watermark_app = typer.Typer(
    help="Teacher-side watermarking: serve a model that marks each account's answers, and detect the mark.",
    no_args_is_help=True,
)

_KEY_HELP = "Master key: 32+ hex digits, or 16+ characters. Keep it secret."


def register(app: typer.Typer) -> None:
    """Add `watermark` to the main command."""
    app.add_typer(watermark_app, name="watermark")


def _settings(scheme: str, gamma: float, delta: float, context_width: int, ngram_len: int, depth: int) -> Any:
    from distillgov.watermark.kgw import KGWParams
    from distillgov.watermark.schemes import WatermarkSettings
    from distillgov.watermark.synthid import SynthIDParams

    try:
        return WatermarkSettings(
            scheme=scheme,  # type: ignore[arg-type]  # validated by WatermarkSettings
            kgw=KGWParams(gamma=gamma, delta=delta, context_width=context_width),
            synthid=SynthIDParams(ngram_len=ngram_len, depth=depth),
        )
    except ValueError as error:
        raise typer.BadParameter(str(error)) from error


def _master_key(text: str) -> bytes:
    from distillgov.watermark.keys import parse_key

    try:
        return parse_key(text)
    except ValueError as error:
        raise typer.BadParameter(str(error), param_hint="--key") from error


@watermark_app.command("serve")
def serve(
    model: Path = typer.Argument(
        ..., help="A transformers model folder, a .gguf file, or a folder with one."
    ),
    key: str = typer.Option(..., "--key", help=_KEY_HELP, envvar="DISTILLGOV_WATERMARK_KEY"),
    scheme: str = typer.Option("kgw", "--scheme", help="kgw (green list) or synthid."),
    host: str = typer.Option("127.0.0.1", "--host"),
    port: int = typer.Option(8000, "--port"),
    findings: Path | None = typer.Option(
        None,
        "--findings",
        help="findings.json from `distillgov detect`: accounts of a campaign share its key.",
    ),
    ledger: Path | None = typer.Option(None, "--ledger", help="Append one JSONL row per request (no keys)."),
    gamma: float = typer.Option(0.25, "--gamma", help="KGW green share of the vocabulary."),
    delta: float = typer.Option(2.0, "--delta", help="KGW logit bias of green tokens."),
    context_width: int = typer.Option(1, "--context-width", help="KGW tokens of context seeding the list."),
    ngram_len: int = typer.Option(5, "--ngram-len", help="SynthID n-gram length."),
    depth: int = typer.Option(30, "--depth", help="SynthID tournament layers."),
    max_tokens_limit: int = typer.Option(512, "--max-tokens-limit"),
) -> None:
    """Serve MODEL as an OpenAI-compatible API, watermarking each account group's answers with its own key."""
    import uvicorn

    from distillgov.watermark.keys import campaign_groups
    from distillgov.watermark.serve import ServeConfig, create_app
    from distillgov.watermark.teacher import ModelLoadError, load_teacher

    settings = _settings(scheme, gamma, delta, context_width, ngram_len, depth)
    master = _master_key(key)
    groups: dict[str, str] = {}
    if findings is not None:
        try:
            campaigns = campaign_groups(findings)
        except ValueError as error:
            raise typer.BadParameter(str(error), param_hint="--findings") from error
        groups = {account: f"campaign:{cid}" for cid, accounts in campaigns.items() for account in accounts}
    try:
        teacher = load_teacher(model)
    except ModelLoadError as error:
        raise typer.BadParameter(str(error), param_hint="MODEL") from error
    config = ServeConfig(
        master_key=master,
        settings=settings,
        model_name=model.stem,
        groups=groups,
        max_tokens_limit=max_tokens_limit,
        ledger=ledger,
    )
    uvicorn.run(create_app(teacher, config), host=host, port=port)


def _read_texts(path: Path) -> tuple[list[str], list[str] | None]:
    """Texts (and prompts) from a .jsonl file of {"text", "prompt"?} rows, or one plain-text file."""
    if not path.is_file():
        raise typer.BadParameter(f"{path} is not a file", param_hint="TEXTFILE")
    if path.suffix != ".jsonl":
        return [path.read_text()], None
    texts: list[str] = []
    prompts: list[str] = []
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            texts.append(str(row["text"]))
            prompts.append(str(row.get("prompt", "")))
        except (ValueError, KeyError, TypeError) as error:
            raise typer.BadParameter(
                f'{path}:{number}: each line must be a JSON object with a "text" field ({error})',
                param_hint="TEXTFILE",
            ) from error
    return texts, prompts if any(prompts) else None


@watermark_app.command("detect")
def detect(
    textfile: Path = typer.Argument(..., help='Plain text, or .jsonl rows {"text": ..., "prompt": ...}.'),
    key: str = typer.Option(..., "--key", help=_KEY_HELP, envvar="DISTILLGOV_WATERMARK_KEY"),
    model: Path = typer.Option(..., "--model", help="The teacher whose tokenizer the key was made for."),
    group: list[str] = typer.Option(
        [],
        "--group",
        help="Account group to test (e.g. account:alice); repeat for several. None: KEY itself.",
    ),
    findings: Path | None = typer.Option(
        None, "--findings", help="Also test every campaign of this findings.json and each member account."
    ),
    n_splits: int = typer.Option(2, "--splits", help="Key splits per group (as served)."),
    scheme: str = typer.Option("kgw", "--scheme"),
    gamma: float = typer.Option(0.25, "--gamma"),
    delta: float = typer.Option(2.0, "--delta"),
    context_width: int = typer.Option(1, "--context-width"),
    ngram_len: int = typer.Option(5, "--ngram-len"),
    depth: int = typer.Option(30, "--depth"),
    significance: float = typer.Option(1e-3, "--significance", help="Refuse texts too short to reach it."),
    out: Path | None = typer.Option(None, "--out", help="Write the JSON here instead of standard output."),
) -> None:
    """Test TEXTFILE for the watermark: exact p-values, with Holm correction across the groups tested."""
    from distillgov.watermark.detect import InsufficientTokensError, TokenizerMismatchError
    from distillgov.watermark.report import detection_report
    from distillgov.watermark.teacher import ModelLoadError, load_tokenizer

    settings = _settings(scheme, gamma, delta, context_width, ngram_len, depth)
    master = _master_key(key)
    texts, prompts = _read_texts(textfile)
    groups = list(group)
    if findings is not None:
        from distillgov.watermark.keys import campaign_groups

        try:
            campaigns = campaign_groups(findings)
        except ValueError as error:
            raise typer.BadParameter(str(error), param_hint="--findings") from error
        for cid, accounts in campaigns.items():
            groups += [f"campaign:{cid}", *(f"account:{a}" for a in accounts)]
    try:
        tokenizer = load_tokenizer(model)
        report = detection_report(
            settings, master, tokenizer, model, textfile, texts, prompts, groups, n_splits, significance
        )
    except (ModelLoadError, InsufficientTokensError, TokenizerMismatchError) as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(2) from error
    rendered = json.dumps(report, indent=2, sort_keys=True)
    if out is None:
        typer.echo(rendered)
    else:
        out.write_text(rendered + "\n")
