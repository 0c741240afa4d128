"""A tiny world for forensic tests, trained in seconds on real Brown Corpus text.

A word-level tokenizer over Brown's most frequent words; a tiny Llama "teacher" trained on one
part of Brown that writes with a KGW watermark; students from a Brown-pretrained base fine-tuned
on the watermarked answers (distilled) or on the same teacher's unmarked answers (clean); and an
independent model and a second teacher for lineage. Seeds here were not used while writing the
forensic code; nothing is tuned to make a test pass.
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, replace
from typing import Any

import pytest

os.environ["HF_HUB_OFFLINE"] = "1"

import torch

from distillgov.forensics.data import iter_brown
from distillgov.forensics.models import LocalModel
from distillgov.forensics.train import StudentShape, TrainSettings, copy_student, new_student, train
from distillgov.watermark.kgw import GreenList, KGWLogitsProcessor, KGWParams

SHAPE = StudentShape(hidden=64, layers=2, heads=4, intermediate=128, context=64)
WATERMARK = KGWParams(gamma=0.25, delta=4.0, context_width=1)
KEY = b"tiny-world-watermark-key-0042"
VOCAB_WORDS = 600


def _tokenizer(words: list[str]) -> Any:
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    counts = Counter(words)
    vocab = {"[UNK]": 0, "[EOS]": 1}
    for word, _ in counts.most_common(VOCAB_WORDS):
        vocab.setdefault(word, len(vocab))
    backend = Tokenizer(models.WordLevel(vocab, unk_token="[UNK]"))
    backend.normalizer = normalizers.Lowercase()
    backend.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    backend.decoder = decoders.WordPiece(prefix="##")
    return PreTrainedTokenizerFast(tokenizer_object=backend, unk_token="[UNK]", eos_token="[EOS]")


@dataclass
class TinyWorld:
    tokenizer: Any
    green_list: GreenList
    teacher: LocalModel
    other_teacher: LocalModel
    reference: LocalModel
    base: LocalModel  # pretrained on Brown only: never saw the teacher
    distilled: LocalModel  # base fine-tuned on the teacher's watermarked answers
    clean: LocalModel  # base fine-tuned on the same teacher's answers without a watermark
    watermarked: list[list[int]]
    held_out_watermarked: list[list[int]]  # same teacher, same key, never trained on
    probes: list[list[int]]
    lineage_probes: list[list[int]]  # the teacher's unmarked answers to prompts no student trained on


def _chunks(tokenizer: Any, texts: list[str], length: int) -> list[list[int]]:
    ids: list[int] = []
    for text in texts:
        ids.extend(tokenizer(text, add_special_tokens=False)["input_ids"])
    return [ids[i : i + length] for i in range(0, len(ids) - length, length)]


def _generate(teacher: LocalModel, prompts: list[list[int]], processor: Any, seed: int) -> list[list[int]]:
    out: list[list[int]] = []
    for first in range(0, len(prompts), 120):
        batch = prompts[first : first + 120]
        out.extend(teacher.generate_ids(batch, 40, seed=seed + first, logits_processor=processor))
    return [p + a for p, a in zip(prompts, out, strict=True)]


@pytest.fixture(scope="session")
def tiny_world() -> TinyWorld:
    torch.set_num_threads(1)
    brown = [text.text for text in iter_brown()]
    tokenizer = _tokenizer([w for text in brown[:200] for w in text.lower().split()])
    pretrain = TrainSettings(epochs=1.0, batch_size=32, learning_rate=4e-3, warmup_steps=5, seed=11)

    def model(
        seed: int, texts: list[str], name: str, kept: list[int] | None = None, epochs: float = 1.0
    ) -> LocalModel:
        fresh = new_student(tokenizer, kept, SHAPE, seed=seed)
        fresh.name = name
        train(
            fresh,
            _chunks(tokenizer, texts, 64),
            replace(pretrain, seed=seed, epochs=epochs),
            show_progress=False,
        )
        return fresh

    # a teacher that has learnt more than word frequencies, so that greedy choices carry its identity
    teacher = model(21, brown[0:25], "teacher", epochs=3.0)
    other_teacher = model(22, brown[300:325], "other-teacher", epochs=3.0)
    reference = model(23, brown[150:175], "reference", epochs=3.0)
    base = model(24, brown[100:125], "base", kept=list(range(len(tokenizer))))

    green_list = GreenList(KEY, len(tokenizer), WATERMARK)
    prompts = [c[:4] for c in _chunks(tokenizer, brown[200:240], 12)][:480]
    marked = [s for s in _generate(teacher, prompts, KGWLogitsProcessor(green_list), 31) if len(s) >= 16]
    plain = [s for s in _generate(teacher, prompts, None, 32) if len(s) >= 16]
    watermarked, held_out = marked[:360], marked[360:]
    finetune = TrainSettings(epochs=8.0, batch_size=16, learning_rate=3e-3, warmup_steps=5, seed=41)
    distilled = copy_student(base, "distilled")
    train(distilled, watermarked, finetune, show_progress=False)
    clean = copy_student(base, "clean")
    train(clean, plain[:360], finetune, show_progress=False)
    probes = _chunks(tokenizer, brown[450:465], 40)[:120]
    return TinyWorld(
        tokenizer,
        green_list,
        teacher,
        other_teacher,
        reference,
        base,
        distilled,
        clean,
        watermarked,
        held_out,
        probes,
        plain[360:],
    )
