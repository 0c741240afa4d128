"""`distillgov forensics`: radioactivity, lineage, trained-on and calibration on a suspect model.

Every command writes one JSON result with the tool version, the parameters, the inputs' sha256s
and the figures. torch and transformers are imported only inside the commands, so `distillgov
--help` stays fast.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer
from rich.console import Console

forensics_app = typer.Typer(
    help="Model forensics: was a suspect trained on a teacher's (watermarked) outputs?", no_args_is_help=True
)
console = Console(stderr=True)

SUSPECT_HELP = "Model folder, .gguf file, or http(s) URL of an OpenAI-compatible API (with --endpoint-model)."


def register(app: typer.Typer) -> None:
    """Add `forensics` to the main command."""
    app.add_typer(forensics_app, name="forensics")


def _write(out: Path, test: str, parameters: dict[str, Any], inputs: dict[str, Any], result: Any) -> None:
    from distillgov.provenance import tool_block

    document = {
        "tool": tool_block(),
        "test": test,
        "parameters": parameters,
        "inputs": inputs,
        "result": result,
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(document, indent=2, default=float) + "\n", encoding="utf-8")
    console.print(f"[green]wrote[/green] {out}")


def _fail(error: Exception) -> typer.Exit:
    console.print(f"[red]error:[/red] {error}")
    return typer.Exit(code=2)


def _key_tokenizer(path: Path | None) -> tuple[Any, dict[str, str]]:
    from distillgov.forensics.data import teacher_gguf
    from distillgov.forensics.models import load_tokenizer
    from distillgov.provenance import sha256_file

    source = path or teacher_gguf()
    files = {str(source): sha256_file(source)} if source.is_file() else {str(source): "folder"}
    return load_tokenizer(source), files


def _probes(tokenizer: Any, probes: Path | None, count: int, seed: int) -> Any:
    from distillgov.forensics import corpora
    from distillgov.provenance import sha256_file

    if probes is None:
        return corpora.sharegpt_probes(tokenizer, count, seed, skip=0)
    probe_set = corpora.probes_from_pairs(tokenizer, corpora.read_text_pairs(probes)[:count], str(probes))
    return corpora.ProbeSet(probe_set.sequences, probe_set.starts, sha256_file(probes), str(probes))


@forensics_app.command("radioactivity")
def radioactivity_command(
    suspect: str = typer.Argument(..., help=SUSPECT_HELP),
    master_key: str = typer.Option(..., "--master-key", help="The provider's master key (hex or text)."),
    group: str = typer.Option(..., "--group", help="Account group whose key is tested."),
    split: int = typer.Option(0, "--split", help="Key split of the group."),
    out: Path = typer.Option(..., "--out", help="Where to write the JSON result."),
    mode: str = typer.Option("open", "--mode", help="open (read distributions) or closed (score answers)."),
    key_tokenizer: Path | None = typer.Option(
        None, "--key-tokenizer", help="Teacher tokenizer (default SmolLM2)."
    ),
    probes: Path | None = typer.Option(None, "--probes", help="JSONL of {prompt, text}; default ShareGPT."),
    served: Path | None = typer.Option(
        None,
        "--served",
        help="Open mode: JSONL of {text} the provider served under ANOTHER key (e.g. the group's other "
        "split); weighs each context by how often it was served.",
    ),
    count: int = typer.Option(500, "--count", help="Probe texts (open) or prompts (closed)."),
    max_new_tokens: int = typer.Option(128, "--max-new-tokens", help="Answer length in closed mode."),
    gamma: float = typer.Option(0.25, "--gamma"),
    delta: float = typer.Option(3.0, "--delta"),
    context_width: int = typer.Option(1, "--context-width"),
    calibration_keys: int = typer.Option(20, "--calibration-keys", help="Random keys to check the null."),
    significance: float = typer.Option(1e-3, "--significance", help="Refuse inputs that cannot reach this."),
    endpoint_model: str | None = typer.Option(None, "--endpoint-model", help="Model name at an API."),
    seed: int = typer.Option(0, "--seed"),
) -> None:
    """Was SUSPECT trained on text watermarked with the group's key?"""
    from distillgov.forensics.errors import ForensicsError
    from distillgov.forensics.models import load_suspect
    from distillgov.forensics.radioactivity import (
        closed_model_test,
        open_model_test,
        suspect_answers,
    )
    from distillgov.watermark.keys import derive_key, parse_key
    from distillgov.watermark.kgw import GreenList, KGWParams

    if mode not in ("open", "closed"):
        raise typer.BadParameter("choose open or closed", param_hint="--mode")
    if served is not None and mode != "open":
        raise typer.BadParameter("served-context weights apply to the open mode only", param_hint="--served")
    try:
        model = load_suspect(suspect, endpoint_model=endpoint_model, tokenizer_path=key_tokenizer)
        tokenizer, tokenizer_files = _key_tokenizer(key_tokenizer)
        params = KGWParams(gamma=gamma, delta=delta, context_width=context_width)
        green_list = GreenList(derive_key(parse_key(master_key), group, split), len(tokenizer), params)
        probe_set = _probes(tokenizer, probes, count, seed)
        if mode == "open":
            result = open_model_test(
                model,
                tokenizer,
                green_list,
                probe_set.sequences,
                probe_set.starts,
                calibration_keys=calibration_keys,
                significance=significance,
                weights=_served_weights(tokenizer, served, context_width) if served else None,
                show_progress=True,
            )
        else:
            prompts = [
                tokenizer.decode(s[:start])
                for s, start in zip(probe_set.sequences, probe_set.starts, strict=True)
            ]
            answers = suspect_answers(
                model, tokenizer, _user_prompts(probes, count, seed) or prompts, max_new_tokens, seed
            )
            result = closed_model_test(
                answers, green_list, significance=significance, calibration_keys=calibration_keys
            )
    except (ForensicsError, ValueError) as error:
        raise _fail(error) from error
    parameters = {
        "mode": mode,
        "group": group,
        "split": split,
        "gamma": gamma,
        "delta": delta,
        "context_width": context_width,
        "count": count,
        "seed": seed,
        "significance": significance,
    }
    inputs = {
        "suspect": model.provenance(),
        "key_tokenizer": tokenizer_files,
        "probes": {"source": probe_set.source, "sha256": probe_set.sha256},
        **({"served": _file_digest(served)} if served else {}),
    }
    _write(out, "radioactivity", parameters, inputs, result.to_dict())
    bound = result.details.get("chernoff_p_value_bound")
    rigorous = "" if bound is None else f"; rigorous bound p <= {bound:.3g} (cite it with --served weights)"
    console.print(
        f"{mode}-model radioactivity: z = {result.z:.2f}, p = {result.p_value:.3g} "
        f"over {result.scored:,} scored{rigorous}"
    )


def _served_weights(tokenizer: Any, served: Path, context_width: int) -> dict[tuple[int, ...], float]:
    from distillgov.forensics import corpora
    from distillgov.forensics.radioactivity import served_context_weights

    texts = [text for _, text in corpora.read_text_pairs(served)]
    return served_context_weights(tokenizer(texts, add_special_tokens=False)["input_ids"], context_width)


def _file_digest(path: Path) -> dict[str, str]:
    from distillgov.provenance import sha256_file

    return {"source": str(path), "sha256": sha256_file(path)}


def _user_prompts(probes: Path | None, count: int, seed: int) -> list[str]:
    """The prompts a closed-model test asks the suspect (plain user text, the suspect frames them)."""
    from distillgov.forensics import corpora

    if probes is not None:
        return [prompt for prompt, _ in corpora.read_text_pairs(probes)[:count] if prompt]
    return [e.prompt for e in corpora.sharegpt_exchanges(seed)[:count]]


def _named_models(specs: list[str], option: str) -> dict[str, Any]:
    from distillgov.forensics.models import load_suspect

    models = {}
    for spec in specs:
        name, _, path = spec.partition("=")
        if not path:
            raise typer.BadParameter(f"{spec!r}: write NAME=PATH", param_hint=option)
        models[name] = load_suspect(path)
    return models


@forensics_app.command("lineage")
def lineage_command(
    suspect: str = typer.Argument(..., help=SUSPECT_HELP),
    candidate: list[str] = typer.Option(..., "--candidate", help="NAME=PATH of a candidate parent (repeat)."),
    reference: list[str] = typer.Option(
        ..., "--reference", help="NAME=PATH of an independent model (repeat)."
    ),
    out: Path = typer.Option(..., "--out"),
    mode: str = typer.Option(
        "open", "--mode", help="open (teacher-forced agreement) or answers (greedy answers)."
    ),
    probes: Path | None = typer.Option(None, "--probes", help="JSONL of {prompt, text}; default ShareGPT."),
    count: int = typer.Option(200, "--count"),
    answer_tokens: int = typer.Option(16, "--answer-tokens"),
    alpha: float = typer.Option(1e-3, "--alpha"),
    endpoint_model: str | None = typer.Option(None, "--endpoint-model"),
    seed: int = typer.Option(0, "--seed"),
) -> None:
    """Is SUSPECT closer to a candidate parent than to independent references? (Holm across candidates)"""
    from distillgov.forensics.errors import ForensicsError
    from distillgov.forensics.lineage import answer_lineage, open_lineage
    from distillgov.forensics.models import load_suspect

    try:
        model = load_suspect(suspect, endpoint_model=endpoint_model)
        candidates, references = (
            _named_models(candidate, "--candidate"),
            _named_models(reference, "--reference"),
        )
        if mode == "open":
            probe_set = _probes(model.tokenizer, probes, count, seed)
            verdicts = open_lineage(
                model, candidates, references, probe_set.sequences, probe_set.starts, alpha
            )
            probe_info = {"source": probe_set.source, "sha256": probe_set.sha256}
        else:
            prompts = _user_prompts(probes, count, seed)
            shared = next(iter(candidates.values())).tokenizer
            verdicts = answer_lineage(model, candidates, references, prompts, shared, answer_tokens, alpha)
            probe_info = {"source": str(probes or "sharegpt prompts"), "count": len(prompts)}
    except ForensicsError as error:
        raise _fail(error) from error
    inputs = {
        "suspect": model.provenance(),
        "candidates": {n: m.provenance() for n, m in candidates.items()},
        "references": {n: m.provenance() for n, m in references.items()},
        "probes": probe_info,
    }
    _write(out, "lineage", {"mode": mode, "count": count, "alpha": alpha, "seed": seed}, inputs, verdicts)
    for verdict in verdicts:
        console.print(f"{verdict['candidate']}: adjusted p = {verdict['adjusted_p_value']:.3g}")


@forensics_app.command("trained-on")
def trained_on_command(
    suspect: str = typer.Argument(..., help=SUSPECT_HELP),
    captured: Path = typer.Option(..., "--captured", help="JSONL of the outputs the operator captured."),
    control: Path = typer.Option(..., "--control", help="JSONL of comparable outputs it never saw."),
    out: Path = typer.Option(..., "--out"),
    endpoint_model: str | None = typer.Option(None, "--endpoint-model"),
    seed: int = typer.Option(0, "--seed"),
) -> None:
    """Does SUSPECT treat the captured outputs as training data (distillation) or not (validation)?"""
    from distillgov.forensics import corpora
    from distillgov.forensics.errors import ForensicsError
    from distillgov.forensics.models import load_suspect
    from distillgov.forensics.trained_on import trained_on_test
    from distillgov.provenance import sha256_file

    try:
        model = load_suspect(suspect, endpoint_model=endpoint_model)
        captured_texts = [text for _, text in corpora.read_text_pairs(captured)]
        control_texts = [text for _, text in corpora.read_text_pairs(control)]
        result = trained_on_test(model, captured_texts, control_texts, seed)
    except ForensicsError as error:
        raise _fail(error) from error
    inputs = {
        "suspect": model.provenance(),
        "captured": sha256_file(captured),
        "control": sha256_file(control),
    }
    _write(out, "trained-on", {"seed": seed}, inputs, result.to_dict())
    console.print(f"trained-on: p = {result.p_value:.3g}, effect size d = {result.effect_size:.2f}")


@forensics_app.command("calibrate")
def calibrate_command(
    suspect: str = typer.Argument(..., help="A model that never saw the teacher's outputs."),
    out: Path = typer.Option(..., "--out"),
    keys: int = typer.Option(100, "--keys", help="Random keys to test the suspect against."),
    probes: Path | None = typer.Option(None, "--probes"),
    count: int = typer.Option(300, "--count"),
    never_seen: Path | None = typer.Option(None, "--never-seen", help="JSONL of text the suspect never saw."),
    gamma: float = typer.Option(0.25, "--gamma"),
    context_width: int = typer.Option(1, "--context-width"),
    seed: int = typer.Option(0, "--seed"),
) -> None:
    """p-values of the tests on a clean model: uniform (KS), false-positive rates at 0.05 and 0.001."""
    from distillgov.forensics import calibration, corpora
    from distillgov.forensics.errors import ForensicsError
    from distillgov.forensics.models import load_suspect
    from distillgov.watermark.kgw import KGWParams

    try:
        model = load_suspect(suspect)
        probe_set = _probes(model.tokenizer, probes, count, seed)
        params = KGWParams(gamma=gamma, context_width=context_width)
        results = [
            calibration.open_radioactivity_null(
                model, probe_set.sequences, probe_set.starts, params, keys, seed
            )
        ]
        if never_seen is not None:
            texts = [text for _, text in corpora.read_text_pairs(never_seen)]
            results.append(calibration.trained_on_null(model, texts, seed=seed))
    except ForensicsError as error:
        raise _fail(error) from error
    inputs = {
        "suspect": model.provenance(),
        "probes": {"source": probe_set.source, "sha256": probe_set.sha256},
    }
    parameters = {"keys": keys, "count": count, "gamma": gamma, "context_width": context_width, "seed": seed}
    _write(out, "calibrate", parameters, inputs, [r.to_dict() for r in results])
    for r in results:
        console.print(
            f"{r.test}: KS p = {r.ks_p_value:.3f}, FPR@0.05 = {r.fpr_at_0_05:.3f}, "
            f"FPR@0.001 = {r.fpr_at_0_001:.4f}"
        )
