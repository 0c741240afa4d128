"""The texts an experiment is made of: watermarked teacher answers to real prompts, and other text.

Teacher answers are the expensive part (about 90 tokens a second on two CPU cores), so they are
appended to a JSONL cache as they are produced and a later run resumes where the last one
stopped; the cache's name carries every setting that changes the text, so a changed setting never
reuses stale answers.
"""

from __future__ import annotations

import hashlib
import json
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from distillgov.forensics.errors import ForensicsError
from distillgov.forensics.models import LocalModel, chat_prefix
from distillgov.watermark.keys import assign_split, derive_key
from distillgov.watermark.kgw import GreenList, KGWLogitsProcessor, KGWParams

_MAX_PROMPT_CHARS = 500


@dataclass(frozen=True)
class SharegptExchange:
    """A real first prompt and the ChatGPT answer it got (ShareGPT)."""

    request_id: str
    prompt: str
    answer: str


def sharegpt_exchanges(seed: int) -> list[SharegptExchange]:
    """First turns of ShareGPT conversations, short mostly-English prompts, in a seeded random order."""
    from distillgov.traffic.simulator.prompts import load_prompt_pool

    pool = load_prompt_pool()
    table = pool.turns
    conversation = table.column("conversation").to_pylist()
    turn = table.column("turn").to_pylist()
    prompts = [str(p) for p in table.column("prompt").to_pylist()]
    answers = [str(a) for a in table.column("answer").to_pylist()]
    exchanges = [
        SharegptExchange(f"sharegpt-{c}", p, a)
        for c, t, p, a in zip(conversation, turn, prompts, answers, strict=True)
        if t == 0 and 10 <= len(p) <= _MAX_PROMPT_CHARS and p.isascii() and a.isascii()
    ]
    random.Random(seed).shuffle(exchanges)
    return exchanges


@dataclass(frozen=True)
class TeacherSettings:
    """How the teacher answers: the watermark and the sampling (both change the text)."""

    gamma: float = 0.25
    delta: float = 3.0
    context_width: int = 1
    temperature: float = 0.8
    repetition_penalty: float = 1.1  # keeps a width-1 watermark from looping on a self-green token
    max_new_tokens: int = 128
    group_id: str = "campaign-1"

    def params(self) -> KGWParams:
        return KGWParams(gamma=self.gamma, delta=self.delta, context_width=self.context_width)

    def digest(self) -> str:
        return hashlib.sha256(json.dumps(asdict(self), sort_keys=True).encode()).hexdigest()[:12]


@dataclass(frozen=True)
class TeacherAnswer:
    """One watermarked answer: which split (and so which key) it was marked under."""

    request_id: str
    prompt: str
    split: int
    answer_ids: list[int]
    answer: str


def split_green_lists(master_key: bytes, settings: TeacherSettings, vocab_size: int) -> list[GreenList]:
    """The green lists of split 0 and split 1 of the settings' account group."""
    return [
        GreenList(derive_key(master_key, settings.group_id, split), vocab_size, settings.params())
        for split in (0, 1)
    ]


def read_answers(path: Path) -> list[TeacherAnswer]:
    """Answers cached so far (a line cut off by an interrupted run is dropped and regenerated)."""
    answers: list[TeacherAnswer] = []
    if not path.exists():
        return answers
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            answers.append(TeacherAnswer(**json.loads(line)))
        except (ValueError, TypeError):
            break
    return answers


def generate_answers(
    teacher: LocalModel,
    exchanges: Sequence[SharegptExchange],
    master_key: bytes,
    settings: TeacherSettings,
    cache: Path,
    token_budget: int,
    batch_size: int = 16,
    report: Callable[[int, int, float], None] | None = None,
) -> list[TeacherAnswer]:
    """Watermarked answers until `token_budget` answer tokens exist in the cache, resuming from it.

    Each request is marked under the key of its secret split (`assign_split`), as a provider
    serving the account group would.
    """
    answers = read_answers(cache)
    done = {a.request_id for a in answers}
    tokens = sum(len(a.answer_ids) for a in answers)
    processors = [KGWLogitsProcessor(g) for g in split_green_lists(master_key, settings, teacher.vocab_size)]
    pending = [e for e in exchanges if e.request_id not in done]
    cache.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    produced = 0
    with cache.open("a", encoding="utf-8") as sink:
        position = 0
        while tokens < token_budget and position < len(pending):
            batch = pending[position : position + batch_size * 4]
            position += len(batch)
            for split in (0, 1):
                members = [e for e in batch if assign_split(master_key, e.request_id) == split]
                for first in range(0, len(members), batch_size):
                    group = members[first : first + batch_size]
                    new = teacher.generate_ids(
                        [chat_prefix(teacher.tokenizer, e.prompt) for e in group],
                        settings.max_new_tokens,
                        temperature=settings.temperature,
                        seed=len(answers),
                        logits_processor=processors[split],
                        repetition_penalty=settings.repetition_penalty,
                    )
                    for exchange, ids in zip(group, new, strict=True):
                        answer = TeacherAnswer(
                            exchange.request_id,
                            exchange.prompt,
                            split,
                            ids,
                            teacher.tokenizer.decode(ids, skip_special_tokens=True),
                        )
                        answers.append(answer)
                        sink.write(json.dumps(asdict(answer)) + "\n")
                        tokens += len(ids)
                        produced += len(ids)
                    sink.flush()
                    if report is not None:
                        report(tokens, token_budget, produced / max(time.perf_counter() - started, 1e-9))
    return answers


def cache_name(settings: TeacherSettings, master_key: bytes) -> str:
    """File name of the answer cache for these settings and this key (the key by digest, never itself)."""
    key_digest = hashlib.sha256(b"cache:" + master_key).hexdigest()[:8]
    return f"teacher-answers-{settings.digest()}-{key_digest}.jsonl"


def summarise_answers(answers: Sequence[TeacherAnswer]) -> dict[str, Any]:
    """Size and quality of the teacher's answers: a watermark that wrecks the text is no use."""
    ids = [a.answer_ids for a in answers]
    trigrams = [tuple(s[i : i + 3]) for s in ids for i in range(len(s) - 2)]
    return {
        "answers": len(answers),
        "tokens": sum(len(s) for s in ids),
        "by_split": {str(k): sum(1 for a in answers if a.split == k) for k in (0, 1)},
        "distinct_trigram_share": round(len(set(trigrams)) / max(1, len(trigrams)), 4),
    }


@dataclass(frozen=True)
class ProbeSet:
    """Texts to read a suspect on: token ids, where each answer starts, and the texts' digest."""

    sequences: list[list[int]]
    starts: list[int]
    sha256: str
    source: str


def sharegpt_probes(tokenizer: Any, count: int, seed: int, skip: int = 0) -> ProbeSet:
    """ChatGPT's answers to real prompts, framed as chats: text no watermark key ever touched.

    `skip` leaves out the first exchanges of the seeded order (those a teacher answered), so probes
    and training prompts never overlap.
    """
    exchanges = sharegpt_exchanges(seed)[skip : skip + count]
    return probes_from_pairs(tokenizer, [(e.prompt, e.answer) for e in exchanges], "sharegpt ChatGPT answers")


def probes_from_pairs(tokenizer: Any, pairs: Sequence[tuple[str, str]], source: str) -> ProbeSet:
    """(prompt, answer) pairs as chat sequences whose scoring starts at the answer."""
    digest = hashlib.sha256()
    sequences, starts = [], []
    for prompt, answer in pairs:
        prefix = chat_prefix(tokenizer, prompt)
        answer_ids = tokenizer(answer, add_special_tokens=False)["input_ids"]
        sequences.append(prefix + list(answer_ids))
        starts.append(len(prefix))
        digest.update(json.dumps([prompt, answer]).encode("utf-8"))
    return ProbeSet(sequences, starts, digest.hexdigest(), source)


def read_text_pairs(path: Path) -> list[tuple[str, str]]:
    """(prompt, text) from a JSONL file whose lines carry `text` (or `answer`) and optionally `prompt`."""
    pairs: list[tuple[str, str]] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            text = record.get("text", record.get("answer"))
        except (ValueError, AttributeError) as error:
            raise ForensicsError(f"{path}:{number}: not a JSON object ({error})") from error
        if not isinstance(text, str) or not text.strip():
            raise ForensicsError(f"{path}:{number}: needs a non-empty string field `text` (or `answer`)")
        pairs.append((str(record.get("prompt", "")), text))
    if not pairs:
        raise ForensicsError(f"{path} holds no texts")
    return pairs
