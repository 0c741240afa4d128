"""`make bench-forensics`: the watermark, radioactivity, lineage and trained-on experiment on real models.

The real SmolLM2-135M-Instruct teacher answers real ShareGPT prompts under a KGW watermark (each
request marked under the key of its secret split); a small student pretrained from scratch on the
Brown Corpus is fine-tuned on five mixes; every forensic test runs on every student, and the
figures (misses included) go to benchmarks/results/forensics.json with plots beside it.

    python -m benchmarks.bench_forensics [--teacher-tokens N] [--quick] [--only-teacher]

Teacher answers and the pretrained base are cached under bench-data/forensics/, so a rerun (or a
run after `--only-teacher` filled the cache in the background) pays only for what changed.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from rich.console import Console

from distillgov.forensics import corpora
from distillgov.forensics.data import iter_brown, teacher_gguf
from distillgov.forensics.models import LocalModel, chat_prefix, load_local, load_tokenizer
from distillgov.forensics.train import (
    StudentShape,
    TrainSettings,
    kept_token_ids,
    new_student,
    save_student,
    train,
)
from distillgov.provenance import sha256_file, tool_block

console = Console(stderr=True)
MASTER_KEY = hashlib.sha256(b"distillgov bench-forensics master key v1").digest()  # public: a benchmark
SEED = 20261123
CACHE = Path("bench-data/forensics")
RESULTS = Path("benchmarks/results")


@dataclass(frozen=True)
class BenchSize:
    """Every size the experiment has; `--quick` shrinks them all to check the pipeline runs."""

    teacher_tokens: int = 120_000
    teacher_batch: int = 16
    pretrain_tokens: int = 500_000  # per pretrained model: the suspects' base and the independent reference
    pretrain_epochs: float = 1.0
    finetune_epochs: float = 6.0
    probe_texts: int = 300
    closed_prompts: int = 80
    closed_tokens: int = 64
    lineage_texts: int = 80
    trained_on_texts: int = 300
    calibration_keys: int = 40  # random keys per clean model, each model with its own key stream


QUICK = BenchSize(
    teacher_tokens=3_000,
    teacher_batch=16,
    pretrain_tokens=40_000,
    finetune_epochs=2.0,
    probe_texts=80,
    closed_prompts=24,
    closed_tokens=48,
    lineage_texts=20,
    trained_on_texts=40,
    calibration_keys=10,
)


def _teacher_stage(
    size: BenchSize, settings: corpora.TeacherSettings
) -> tuple[LocalModel, list[corpora.TeacherAnswer], Path]:
    exchanges = corpora.sharegpt_exchanges(SEED)
    teacher = load_local(teacher_gguf())
    cache = CACHE / corpora.cache_name(settings, MASTER_KEY)
    started = time.perf_counter()
    last = [0.0]

    def report(tokens: int, budget: int, rate: float) -> None:
        if time.perf_counter() - last[0] > 30:
            last[0] = time.perf_counter()
            console.log(f"teacher: {tokens:,}/{budget:,} answer tokens, {rate:.1f} tok/s this run")

    answers = corpora.generate_answers(
        teacher,
        exchanges[: len(exchanges) // 2],
        MASTER_KEY,
        settings,
        cache,
        size.teacher_tokens,
        batch_size=size.teacher_batch,
        report=report,
    )
    console.log(f"teacher answers ready: {len(answers)} ({time.perf_counter() - started:.0f}s this run)")
    return teacher, answers, cache


def _set_threads() -> None:
    """One thread per process on a busy machine: two OpenMP threads on two loaded cores wait on each
    other at every parallel region, which cut the teacher from ~25 to under 5 tokens per CPU second here."""
    import torch

    cores = os.cpu_count() or 1
    threads = 1 if os.getloadavg()[0] > cores else cores
    torch.set_num_threads(threads)
    console.log(f"torch threads: {threads} (load average {os.getloadavg()[0]:.1f} on {cores} cores)")


def _encode(tokenizer: Any, texts: Sequence[str]) -> list[list[int]]:
    return [list(ids) for ids in tokenizer(list(texts), add_special_tokens=False)["input_ids"]]


@dataclass
class BaseStage:
    """The pretrained bases, and the Brown text neither saw (the 'other text' of the mixes).

    `base` is the parent of every suspect; `reference` is pretrained the same way from another seed on
    disjoint Brown text, so that lineage has an independent model of the suspects' own size to compare
    with (a suspect's own base is its parent, not an independent reference).
    """

    base: LocalModel
    reference: LocalModel
    other_text: list[list[int]]
    record: dict[str, Any]


def _cut(sequences: Sequence[Sequence[int]], tokens: int) -> int:
    """How many whole texts from the front it takes to reach `tokens` (all of them if they never do)."""
    cut, total = 0, 0
    while cut < len(sequences) and total < tokens:
        total += len(sequences[cut])
        cut += 1
    return cut


def _pretrained(
    role: str, seed: int, texts: list[list[int]], tokenizer: Any, kept: list[int], size: BenchSize
) -> tuple[LocalModel, dict[str, Any]]:
    """Pretrain (or load from the cache) one student on Brown text."""
    shape = StudentShape()
    settings = TrainSettings(epochs=size.pretrain_epochs, learning_rate=2e-3, seed=seed)
    digest = hashlib.sha256(
        json.dumps([role, size.pretrain_tokens, asdict(shape), asdict(settings), kept]).encode()
    ).hexdigest()[:10]
    folder = CACHE / f"student-{role}-{digest}"
    if (folder / "vocab_map.json").is_file():
        console.log(f"{role} from cache: {folder}")
        return load_local(folder), json.loads((folder / "training.json").read_text())
    model = new_student(tokenizer, kept, shape, seed=seed)
    record = train(model, texts, settings, label=f"pretraining the {role} on Brown")
    record["brown_texts"] = len(texts)
    save_student(model, folder)
    (folder / "training.json").write_text(json.dumps(record, indent=2))
    return model, record


def _base_stage(size: BenchSize, tokenizer: Any, exchanges: Sequence[corpora.SharegptExchange]) -> BaseStage:
    """The suspects' base and the reference, on disjoint Brown text; one vocabulary for both."""
    brown = list(iter_brown())
    random.Random(SEED).shuffle(brown)
    brown_ids = _encode(tokenizer, [text.text for text in brown])
    first = _cut(brown_ids, size.pretrain_tokens)
    second = first + _cut(brown_ids[first:], size.pretrain_tokens)
    base_texts, reference_texts, other = brown_ids[:first], brown_ids[first:second], brown_ids[second:]
    sample = [e.prompt + "\n" + e.answer for e in exchanges[:4000]]
    kept = kept_token_ids(tokenizer, [*brown_ids, *_encode(tokenizer, sample)], StudentShape().vocab_limit)
    base, base_record = _pretrained("base", SEED, base_texts, tokenizer, kept, size)
    reference, reference_record = _pretrained("reference", SEED + 7, reference_texts, tokenizer, kept, size)
    return BaseStage(base, reference, other, {"base": base_record, "reference": reference_record})


CASES = {
    "i_watermarked_100pct": 1.0,
    "ii_watermarked_25pct": 0.25,
    "iii_watermarked_5pct": 0.05,
    "iv_validation_only": 0.0,
    "v_other_teacher_chatgpt": None,  # ShareGPT's ChatGPT answers instead of the teacher's
}
CLEAN_CASES = ("iv_validation_only", "v_other_teacher_chatgpt")


def _take(sequences: Sequence[list[int]], tokens: int) -> list[list[int]]:
    return list(sequences[: _cut(sequences, tokens)])


def _mix(
    marked: list[list[int]], other: list[list[int]], share: float, total: int
) -> tuple[list[list[int]], int]:
    """`share` of `total` tokens from the watermarked answers, the rest other text, shuffled together."""
    chosen = _take(marked, round(share * total)) if share > 0 else []
    mix = chosen + _take(other, total - sum(len(s) for s in chosen))
    random.Random(SEED).shuffle(mix)
    return mix, len(chosen)


def _samples_to_significance(captured: Any, control: Any) -> int | None:
    """The fewest texts per set with which dataset inference reached p < 1e-3 (None: not with these)."""
    from distillgov.forensics.errors import ForensicsError
    from distillgov.forensics.trained_on import dataset_inference

    for n in (20, 40, 80, 160, 320, 640):
        if n > min(len(captured), len(control)):
            break
        try:
            if dataset_inference(captured[:n], control[:n], seed=SEED).p_value < 1e-3:
                return n
        except ForensicsError:
            continue
    return None


def _plot(curves: dict[str, list[dict[str, Any]]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(7, 4.5))
    for name, curve in curves.items():
        axis.plot(
            [c["tokens_read"] for c in curve],
            [max(c["p_value"], 1e-300) for c in curve],
            marker="o",
            label=name,
        )
    axis.axhline(1e-3, color="grey", linestyle="--", linewidth=0.8)
    axis.axhline(1e-5, color="grey", linestyle=":", linewidth=0.8)
    axis.set(
        xscale="log", yscale="log", xlabel="probe tokens read", ylabel="p-value (open-model radioactivity)"
    )
    axis.legend(fontsize=8)
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)


def run_experiment(
    size: BenchSize,
    settings: corpora.TeacherSettings,
    answers: list[corpora.TeacherAnswer],
    teacher: LocalModel,
    cache: Path,
) -> dict[str, Any]:
    """Every student, every test; returns the results document."""
    from distillgov.forensics.radioactivity import read_context_masses, served_context_weights
    from distillgov.forensics.train import copy_student
    from distillgov.watermark.detect import score_token_ids

    tokenizer = teacher.tokenizer
    exchanges = corpora.sharegpt_exchanges(SEED)
    held = exchanges[len(exchanges) // 2 :]  # prompts the teacher never answered
    stage = _base_stage(size, tokenizer, exchanges)
    green = corpora.split_green_lists(MASTER_KEY, settings, len(tokenizer))
    split_answers = {k: [a for a in answers if a.split == k and a.answer_ids] for k in (0, 1)}
    sequences = {
        k: [chat_prefix(tokenizer, a.prompt) + a.answer_ids for a in v] for k, v in split_answers.items()
    }
    total = sum(len(s) for s in sequences[0])
    # held exchanges, in disjoint slices: probes | case (v)'s data | the reference's data | closed prompts
    width = (len(held) - size.probe_texts - size.closed_prompts) // 2
    chatgpt_slices = (size.probe_texts, size.probe_texts + width, size.probe_texts + 2 * width)

    def chatgpt(first: int, last: int) -> list[list[int]]:
        return [
            chat_prefix(tokenizer, e.prompt)
            + tokenizer(e.answer, add_special_tokens=False)["input_ids"][:256]
            for e in held[first:last]
        ]

    probes = corpora.sharegpt_probes(tokenizer, size.probe_texts, SEED, skip=len(exchanges) // 2)
    # each key's test weighs contexts by how often the *other* split served them: exact under the null
    weights = [
        served_context_weights([a.answer_ids for a in split_answers[1 - k]], settings.context_width)
        for k in (0, 1)
    ]
    kept = set(stage.base.kept_ids or [])
    teacher_tokens = [t for s in split_answers[0] for t in s.answer_ids]
    teacher_block = {
        **corpora.summarise_answers(answers),
        "settings": asdict(settings),
        "cache_sha256": sha256_file(cache),
        "green_fraction_split0_answers_under_key0": score_token_ids(
            green[0], [a.answer_ids for a in split_answers[0]]
        ).green_fraction,
        "green_fraction_split0_answers_under_key1": score_token_ids(
            green[1], [a.answer_ids for a in split_answers[0]]
        ).green_fraction,
        "student_vocabulary_coverage_of_teacher_tokens": sum(t in kept for t in teacher_tokens)
        / max(1, len(teacher_tokens)),
        "split0_training_tokens_with_chat_framing": total,
    }
    console.log(teacher_block)
    finetune = TrainSettings(epochs=size.finetune_epochs, learning_rate=1e-3, warmup_steps=10, seed=SEED + 1)
    reference_chat = copy_student(stage.reference, "reference_chatgpt")
    reference_record = train(
        reference_chat,
        _take(chatgpt(chatgpt_slices[1], chatgpt_slices[2]), total),
        finetune,
        label="fine-tuning the reference on other ChatGPT answers",
    )
    cases: dict[str, Any] = {}
    models: dict[str, LocalModel] = {}
    captured_texts_all, dropped_captured = _scorable([a.answer for a in split_answers[0]], tokenizer)
    control_texts, dropped_control = _scorable([a.answer for a in split_answers[1]], tokenizer)
    control_texts = control_texts[: size.trained_on_texts]
    teacher_block["answers_too_short_for_membership_features"] = {
        "split0": dropped_captured,
        "split1": dropped_control,
    }
    closed_prompts = [e.prompt for e in held[-size.closed_prompts :]]
    for index, (name, share) in enumerate(CASES.items()):
        started = time.perf_counter()
        student = copy_student(stage.base, name)
        if share is None:
            data, n_marked = _take(chatgpt(chatgpt_slices[0], chatgpt_slices[1]), total), 0
        else:
            data, n_marked = _mix(sequences[0], stage.other_text, share, total)
        record = train(student, data, finetune, label=f"fine-tuning {name}")
        models[name] = student
        masses = read_context_masses(student, probes.sequences, probes.starts, settings.context_width)
        # what the operator trained on, or (validation, other teacher) what it held and never trained on
        trained = {a.answer for a in split_answers[0][: n_marked or len(split_answers[0])]}
        captured = [t for t in captured_texts_all if t in trained][: size.trained_on_texts]
        cases[name] = {
            "training": {
                **record,
                "watermarked_answers": n_marked,
                "watermarked_share": sum(len(s) for s in sequences[0][:n_marked])
                / max(1, sum(len(s) for s in data)),
            },
            **_radioactivity_block(student, green, weights, masses, closed_prompts, size, SEED + 100 * index),
            "trained_on": _guarded(partial(_trained_on_block, student, captured, control_texts)),
            "seconds": round(time.perf_counter() - started, 1),
        }
        (RESULTS / "forensics-partial.json").write_text(
            json.dumps({"teacher": teacher_block, "cases": cases}, indent=2, default=float)
        )
        console.log(
            f"{name}: open p={cases[name]['radioactivity_open_key0']['p_value']:.3g}, "
            f"closed p={cases[name]['radioactivity_closed_key0'].get('p_value')}, "
            f"trained-on p={cases[name]['trained_on'].get('p_value', cases[name]['trained_on'].get('error'))}"
        )
    references = {"reference_brown": stage.reference, "reference_chatgpt": reference_chat}
    lineage_probes = corpora.probes_from_pairs(
        tokenizer,
        [(a.prompt, a.answer) for a in split_answers[1][: size.lineage_texts]],
        "teacher split-1 answers",
    )
    clean = {"base_brown_only": stage.base, **{n: models[n] for n in CLEAN_CASES}, **references}
    RESULTS.mkdir(parents=True, exist_ok=True)
    _plot(
        {name: case["radioactivity_open_key0"]["curve"] for name, case in cases.items()},
        RESULTS / "forensics-radioactivity.png",
    )
    return {
        "teacher": teacher_block,
        "base": stage.record,
        "reference_chatgpt_training": reference_record,
        "cases": cases,
        "lineage": _guarded(partial(_lineage_block, teacher, models, references, lineage_probes)),
        "calibration": _calibration_block(clean, probes, settings, weights[0], control_texts, models, size),
        "probes": {"source": probes.source, "sha256": probes.sha256, "texts": len(probes.sequences)},
        "lineage_probes": {"source": lineage_probes.source, "sha256": lineage_probes.sha256},
    }


def _radioactivity_block(
    student: LocalModel,
    green: Sequence[Any],
    weights: Sequence[dict[tuple[int, ...], float]],
    masses: Any,
    closed_prompts: list[str],
    size: BenchSize,
    key_seed: int,
) -> dict[str, Any]:
    """Open mode under the captured split's key and the control split's, and closed mode."""
    from distillgov.forensics.radioactivity import (
        closed_model_test,
        compare_split_keys,
        open_model_test,
        suspect_answers,
    )

    tokenizer = student.tokenizer
    key0 = open_model_test(
        student,
        tokenizer,
        green[0],
        [],
        masses=masses,
        calibration_keys=size.calibration_keys,
        calibration_seed=key_seed,
        weights=weights[0],
    )
    key1 = open_model_test(
        student, tokenizer, green[1], [], masses=masses, calibration_keys=0, weights=weights[1]
    )
    closed = _guarded(
        lambda: closed_model_test(
            suspect_answers(student, tokenizer, closed_prompts, size.closed_tokens, seed=SEED),
            green[0],
            calibration_keys=size.calibration_keys,
            calibration_seed=key_seed,
        ).to_dict()
    )
    return {
        "radioactivity_open_key0": key0.to_dict(),
        "radioactivity_open_key1_control_split": {"z": key1.z, "p_value": key1.p_value},
        "split_key_comparison": asdict(compare_split_keys(key0, key1)),
        "radioactivity_closed_key0": closed,
    }


def _lineage_block(
    teacher: LocalModel,
    suspects: dict[str, LocalModel],
    references: dict[str, LocalModel],
    probes: corpora.ProbeSet,
) -> dict[str, Any]:
    """Both statistics, both framings, for every suspect.

    `closer_to_teacher_than_to_references` is the test of Nikolic et al.: it assumes candidate and
    references are comparable models. Here the teacher is 40 times the students' size, so a second
    framing is reported beside it: is the suspect closer to the teacher than independent models of
    its own size are (`closer_to_teacher_than_peers`)?
    """
    from distillgov.forensics.lineage import (
        agreement,
        distribution_similarity,
        greedy_tokens,
        similarity_test,
    )

    seqs, starts = probes.sequences, probes.starts
    picks = {name: greedy_tokens(m, seqs, starts) for name, m in {"teacher": teacher, **references}.items()}
    peers = {
        "agreement": {name: agreement(picks[name], picks["teacher"]) for name in references},
        "distance": {
            name: distribution_similarity(m, {"teacher": teacher}, seqs, starts)["teacher"]
            for name, m in references.items()
        },
    }
    block: dict[str, Any] = {}
    for name, suspect in suspects.items():
        own = greedy_tokens(suspect, seqs, starts)
        scores = {
            "agreement": {other: agreement(own, other_picks) for other, other_picks in picks.items()},
            "distance": distribution_similarity(suspect, {"teacher": teacher, **references}, seqs, starts),
        }
        block[name] = {
            statistic: {
                "closer_to_teacher_than_to_references": [
                    asdict(v)
                    for v in similarity_test(
                        {"teacher": per_text["teacher"]}, {r: per_text[r] for r in references}
                    )
                ],
                "closer_to_teacher_than_peers": [
                    asdict(v) for v in similarity_test({"teacher": per_text["teacher"]}, peers[statistic])
                ],
            }
            for statistic, per_text in scores.items()
        }
    return block


def _calibration_block(
    clean: dict[str, LocalModel],
    probes: corpora.ProbeSet,
    settings: corpora.TeacherSettings,
    weights: dict[tuple[int, ...], float],
    control_texts: list[str],
    models: dict[str, LocalModel],
    size: BenchSize,
) -> dict[str, Any]:
    """Null p-values on every model that never saw the key, each model under its own random keys,
    for the weighted statistic (the one the targets use) and the unweighted one."""
    from distillgov.forensics.calibration import open_radioactivity_null, summarise_null, trained_on_null
    from distillgov.forensics.radioactivity import read_context_masses

    null_p: dict[str, list[float]] = {"weighted": [], "unweighted": []}
    per_model: dict[str, dict[str, float]] = {}
    for index, (name, model) in enumerate(clean.items()):
        masses = read_context_masses(model, probes.sequences, probes.starts, settings.context_width)
        for statistic, served in (("weighted", weights), ("unweighted", None)):
            null = open_radioactivity_null(
                model,
                [],
                [],
                settings.params(),
                size.calibration_keys,
                seed=SEED + 10_000 * (index + 1),
                masses=masses,
                weights=served,
            )
            null_p[statistic].extend(null.p_values)
            per_model[f"{name}/{statistic}"] = {
                "ks_p_value": null.ks_p_value,
                "min_p_value": null.min_p_value,
            }
    return {
        "radioactivity_open_random_keys_on_clean_models": {
            **summarise_null("radioactivity-open (served-context weights)", null_p["weighted"]).to_dict(),
            "models": per_model,
        },
        "radioactivity_open_unweighted_random_keys_on_clean_models": summarise_null(
            "radioactivity-open (unweighted)", null_p["unweighted"]
        ).to_dict(),
        "trained_on_random_halves_of_never_seen_text": _guarded(
            lambda: trained_on_null(
                models["iv_validation_only"], control_texts, n_splits=30, seed=SEED
            ).to_dict()
        ),
    }


def _scorable(texts: list[str], tokenizer: Any) -> tuple[list[str], int]:
    """Texts long enough for membership features, and how many were left out (one short answer,
    such as a one-word reply, would otherwise stop the whole test)."""
    from distillgov.forensics.trained_on import MIN_TOKENS

    lengths = [len(ids) for ids in tokenizer(texts, add_special_tokens=False)["input_ids"]]
    kept = [t for t, n in zip(texts, lengths, strict=True) if n > MIN_TOKENS + 1]
    return kept, len(texts) - len(kept)


def _guarded(compute: Any) -> dict[str, Any]:
    """A figure, or the reason it could not be computed at this size: a miss is recorded, not hidden."""
    from distillgov.forensics.errors import ForensicsError

    try:
        result: dict[str, Any] = compute()
    except ForensicsError as error:
        return {"error": str(error)}
    return result


def _trained_on_block(student: LocalModel, captured: list[str], control: list[str]) -> dict[str, Any]:
    from distillgov.forensics.trained_on import dataset_inference, feature_matrix

    cap_features, ctl_features = feature_matrix(student, captured), feature_matrix(student, control)
    return {
        **dataset_inference(cap_features, ctl_features, seed=SEED).to_dict(),
        "captured_texts": len(captured),
        "control_texts": len(control),
        "texts_per_set_for_p_1e_3": _samples_to_significance(cap_features, ctl_features),
    }


def _targets(document: dict[str, Any]) -> dict[str, Any]:
    cases = document["cases"]
    p = {name: case["radioactivity_open_key0"]["p_value"] for name, case in cases.items()}
    bound = {
        name: case["radioactivity_open_key0"]["details"]["chernoff_p_value_bound"]
        for name, case in cases.items()
    }
    marked = ("i_watermarked_100pct", "ii_watermarked_25pct", "iii_watermarked_5pct")
    detected = [n for n in marked if p[n] < 1e-3]
    detected_by_bound = [n for n in marked if bound[n] < 1e-3]
    null = document["calibration"]["radioactivity_open_random_keys_on_clean_models"]
    return {
        "open_p_below_1e-5_for_i_and_ii": p["i_watermarked_100pct"] < 1e-5
        and p["ii_watermarked_25pct"] < 1e-5,
        "open_chernoff_bound_below_1e-5_for_i_and_ii": bound["i_watermarked_100pct"] < 1e-5
        and bound["ii_watermarked_25pct"] < 1e-5,
        "smallest_share_detected_at_1e-3": (detected or [None])[-1],
        "smallest_share_detected_at_1e-3_by_chernoff_bound": (detected_by_bound or [None])[-1],
        "no_false_accusation_iv_v_at_1e-3": all(p[n] >= 1e-3 for n in CLEAN_CASES)
        and null["false_positives_at_0_001"] == 0,
        "trained_on_separates_i_from_iv": cases["i_watermarked_100pct"]["trained_on"].get("p_value", 1.0)
        < 1e-3
        <= cases["iv_validation_only"]["trained_on"].get("p_value", 0.0),
        "lineage_names_the_teacher_at_1e-3": {
            framing: {
                statistic: sorted(
                    name
                    for name, verdicts in document["lineage"].items()
                    if name != "error" and verdicts[statistic][framing][0]["significant"]
                )
                for statistic in ("agreement", "distance")
            }
            for framing in ("closer_to_teacher_than_to_references", "closer_to_teacher_than_peers")
        },
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--teacher-tokens", type=int, help="watermarked teacher answer tokens to generate")
    parser.add_argument("--quick", action="store_true", help="tiny sizes: checks the pipeline in minutes")
    parser.add_argument("--only-teacher", action="store_true", help="fill the teacher cache and stop")
    parser.add_argument(
        "--only-base", action="store_true", help="pretrain (or load) the student base and stop"
    )
    parser.add_argument("--delta", type=float, default=corpora.TeacherSettings.delta)
    parser.add_argument("--context-width", type=int, default=corpora.TeacherSettings.context_width)
    args = parser.parse_args(argv)
    _set_threads()
    size = QUICK if args.quick else BenchSize()
    if args.teacher_tokens:
        size = BenchSize(**{**asdict(size), "teacher_tokens": args.teacher_tokens})
    settings = corpora.TeacherSettings(delta=args.delta, context_width=args.context_width)
    if args.only_base:
        stage = _base_stage(size, load_tokenizer(teacher_gguf()), corpora.sharegpt_exchanges(SEED))
        console.log(stage.record)
        return 0
    teacher, answers, cache = _teacher_stage(size, settings)
    if args.only_teacher:
        console.log(corpora.summarise_answers(answers))
        return 0
    started = time.perf_counter()
    load_before = os.getloadavg()[0]
    document = run_experiment(
        size, settings, answers[: _cut([a.answer_ids for a in answers], size.teacher_tokens)], teacher, cache
    )
    document = {
        "tool": tool_block(),
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "size": asdict(size),
        "quick": args.quick,
        "machine": {
            "cpu_count": os.cpu_count(),
            "load_average_before": load_before,
            "load_average_after": os.getloadavg()[0],
            "wall_s": round(time.perf_counter() - started, 1),
        },
        **document,
    }
    document["targets"] = _targets(document)
    out = RESULTS / ("forensics-quick.json" if args.quick else "forensics.json")
    out.write_text(json.dumps(document, indent=2, default=float) + "\n")
    console.log(f"wrote {out}: {document['targets']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
