"""Small students trained here: a Llama-shaped model pretrained from scratch, then fine-tuned on a text mix.

The student writes in the teacher's tokenizer, so that a watermark key's green lists (defined on
the teacher's token ids) mean the same thing in the student. To keep a CPU run affordable the
student predicts only the ids its data actually uses (a few thousand of the teacher's 49,152) plus
one column for all the others; `forensics.models` turns that back into a distribution over the
teacher's whole vocabulary, so every test reads the student like any other model.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import torch
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from distillgov.forensics.errors import ForensicsError
from distillgov.forensics.models import VOCAB_MAP_FILE, LocalModel, default_device


@dataclass(frozen=True)
class StudentShape:
    """Size of a student; the defaults train at a few thousand tokens a second on two CPU cores."""

    hidden: int = 192
    layers: int = 4
    heads: int = 4
    intermediate: int = 512
    context: int = 256
    vocab_limit: int = 8192  # most frequent teacher ids kept as output columns


@dataclass(frozen=True)
class TrainSettings:
    """One training run; `seed` fixes initialisation and the order of batches."""

    epochs: float = 1.0
    batch_size: int = 16
    learning_rate: float = 1e-3
    warmup_steps: int = 50
    weight_decay: float = 0.01
    seed: int = 0


def kept_token_ids(tokenizer: Any, corpora: Iterable[Sequence[int]], limit: int) -> list[int]:
    """The `limit` most frequent ids across the corpora, special tokens first so chat framing always fits."""
    counts: Counter[int] = Counter()
    for sequence in corpora:
        counts.update(sequence)
    special = [int(i) for i in tokenizer.all_special_ids]
    kept = list(dict.fromkeys(special))
    for token, _ in counts.most_common():
        if len(kept) >= limit:
            break
        if token not in kept:
            kept.append(token)
    return kept


def new_student(tokenizer: Any, kept_ids: Sequence[int] | None, shape: StudentShape, seed: int) -> LocalModel:
    """A freshly initialised student over the kept columns (plus one for every other id), or over the
    whole vocabulary when `kept_ids` is None (a model that can also serve as a watermarking teacher)."""
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(seed)
    config = LlamaConfig(
        vocab_size=len(kept_ids) + 1 if kept_ids is not None else len(tokenizer),
        hidden_size=shape.hidden,
        intermediate_size=shape.intermediate,
        num_hidden_layers=shape.layers,
        num_attention_heads=shape.heads,
        num_key_value_heads=shape.heads,
        max_position_embeddings=shape.context,
        tie_word_embeddings=True,
        bos_token_id=None,
        eos_token_id=None,
        pad_token_id=None,
    )
    model = LlamaForCausalLM(config)
    return LocalModel(model, tokenizer, name=f"student(seed={seed})", column_ids=kept_ids)


def _blocks(sequences: Sequence[Sequence[int]], eos: int, context: int) -> torch.Tensor:
    """All sequences end to end (each closed by end-of-sequence), cut into training windows."""
    stream: list[int] = []
    for sequence in sequences:
        stream.extend(sequence)
        stream.append(eos)
    n = len(stream) // context
    if n == 0:
        raise ForensicsError(f"{len(stream)} tokens are fewer than one {context}-token training window")
    return torch.tensor(stream[: n * context], dtype=torch.long).view(n, context)


def train(
    student: LocalModel,
    sequences: Sequence[Sequence[int]],
    settings: TrainSettings,
    *,
    label: str = "training",
    show_progress: bool = True,
) -> dict[str, Any]:
    """Next-token training on `sequences` (teacher ids); returns what was done, for the provenance record."""
    eos = int(student.tokenizer.eos_token_id)
    context = student.max_length
    blocks = student.to_columns(_blocks(sequences, eos, context))
    steps_per_epoch = max(1, math.ceil(len(blocks) / settings.batch_size))
    total_steps = max(1, round(settings.epochs * steps_per_epoch))
    generator = torch.Generator().manual_seed(settings.seed)
    model = student.model.train()
    optimizer = torch.optim.AdamW(
        model.parameters(), lr=settings.learning_rate, weight_decay=settings.weight_decay, betas=(0.9, 0.95)
    )

    def learning_rate(step: int) -> float:
        if step < settings.warmup_steps:
            return (step + 1) / settings.warmup_steps
        progress = (step - settings.warmup_steps) / max(1, total_steps - settings.warmup_steps)
        return 0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * min(progress, 1.0)))

    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, learning_rate)
    order = torch.randperm(len(blocks), generator=generator)
    losses: list[float] = []
    columns = [TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn()]
    with Progress(*columns, disable=not show_progress, transient=True) as progress:
        task = progress.add_task(label, total=total_steps)
        for step in range(total_steps):
            start = (step % steps_per_epoch) * settings.batch_size
            if start == 0 and step > 0:
                order = torch.randperm(len(blocks), generator=generator)
            batch = blocks[order[start : start + settings.batch_size]].to(student.device)
            loss = model(input_ids=batch, labels=batch).loss
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            scheduler.step()
            losses.append(loss.item())
            progress.update(task, advance=1, description=f"{label} loss {losses[-1]:.3f}")
    model.eval()
    tail = losses[-max(1, len(losses) // 10) :]
    return {
        "label": label,
        "settings": asdict(settings),
        "tokens_per_epoch": int(blocks.numel()),
        "steps": total_steps,
        "final_loss": round(sum(tail) / len(tail), 4),
    }


def save_student(student: LocalModel, folder: Path) -> None:
    """A folder `forensics.models.load_local` reads back: weights, the teacher's tokenizer, the kept ids."""
    folder.mkdir(parents=True, exist_ok=True)
    student.model.save_pretrained(folder)
    student.tokenizer.save_pretrained(folder)
    if student.kept_ids is not None:
        (folder / VOCAB_MAP_FILE).write_text(
            json.dumps({"kept_token_ids": student.kept_ids}), encoding="utf-8"
        )


def copy_student(student: LocalModel, name: str) -> LocalModel:
    """An independent copy to fine-tune, so one pretrained base serves every fine-tuning case."""
    import copy

    return LocalModel(
        copy.deepcopy(student.model),
        student.tokenizer,
        name=name,
        column_ids=student.kept_ids,
        device=default_device(),
    )
