"""The detection result as evidence: scores per key, attribution across groups, and provenance."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from distillgov.provenance import sha256_file, tool_block
from distillgov.watermark.detect import tokenize_for_detection
from distillgov.watermark.keys import attribute, derive_key, key_fingerprint
from distillgov.watermark.schemes import WatermarkSettings
from distillgov.watermark.teacher import model_digest


def detection_report(
    settings: WatermarkSettings,
    master_key: bytes,
    tokenizer: Any,
    model: Path,
    textfile: Path,
    texts: Sequence[str],
    prompts: Sequence[str] | None,
    groups: Sequence[str],
    n_splits: int,
    significance: float,
) -> dict[str, Any]:
    """Score the texts under each (group, split) key — or under the master key itself when no group is
    named — and rank the groups with Holm's correction over every key tested."""
    vocab_size = len(tokenizer)
    sequences, prompt_lengths = tokenize_for_detection(vocab_size, texts, tokenizer, prompts)
    tested: list[tuple[str | None, int | None, bytes]] = (
        [
            (group, split, derive_key(master_key, group, split))
            for group in groups
            for split in range(n_splits)
        ]
        if groups
        else [(None, None, master_key)]
    )
    results = []
    for group, split, key in tested:
        score = settings.score(key, vocab_size, sequences, prompt_lengths, significance)
        results.append({"group_id": group, "split": split, "key_id": key_fingerprint(key), **score})
    report: dict[str, Any] = {
        "format": 1,
        "tool": tool_block(),
        "inputs": [
            {"path": str(textfile), "sha256": sha256_file(textfile), "texts": len(texts)},
            *({"path": path, "sha256": digest} for path, digest in model_digest(model).items()),
        ],
        "parameters": {
            **settings.parameters(),
            "significance": significance,
            "dedupe": True,
            "prompts_given": prompts is not None,
            "tokenizer_vocab_size": vocab_size,
            "n_splits": n_splits if groups else None,
            "correction": "holm" if groups else None,
        },
        "results": results,
    }
    if groups:
        hypotheses = {f"{r['group_id']}#split{r['split']}": float(r["p_value"]) for r in results}
        report["attribution"] = [asdict(a) for a in attribute(hypotheses, alpha=significance)]
    return report
