"""One interface over every kind of suspect: a local Hugging Face folder or GGUF file, an
OpenAI-compatible HTTP endpoint, or a small model this project trained itself.

Each forensic test asks a suspect for one of three things — next-token distributions on given
token sequences (open-model tests), log-probabilities of given text (membership features), or
answers to chat prompts (closed-model tests) — and a suspect that cannot give what a test needs
says so with a `ForensicsError` instead of letting the test run on nothing.
"""

from __future__ import annotations

import json
import os
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import torch

from distillgov.forensics.errors import ForensicsError
from distillgov.provenance import sha256_file

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # never reach a model hub, whatever the caller forgot

VOCAB_MAP_FILE = "vocab_map.json"  # written by forensics.train for students with a pruned vocabulary
_WEIGHT_SUFFIXES = (".safetensors", ".bin", ".gguf")


def default_device() -> torch.device:
    """The GPU when one is present, else the CPU: the same code runs on a laptop and a lent accelerator."""
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


@dataclass(frozen=True)
class NextTokenDistributions:
    """A model's next-token distributions at consecutive positions of one token sequence.

    Students trained here keep only the vocabulary their data uses; the probability of every other
    token is `spread` (per position), shared equally by the `vocab_size - len(column_ids)` ids not
    in `column_ids`. Ordinary models have every id as a column and `spread` zero.
    """

    probs: torch.Tensor  # [positions, columns], float32, each row plus its spread sums to 1
    column_ids: torch.Tensor  # [columns], tokenizer id of each column
    spread: torch.Tensor  # [positions]
    vocab_size: int
    first_position: int  # index in the sequence of the token the first row predicts


class SuspectModel(ABC):
    """A model under test. Subclasses say which of the three kinds of access they offer."""

    name: str
    tokenizer: Any  # a transformers tokenizer: the ids every token sequence is written in

    @abstractmethod
    def provenance(self) -> dict[str, Any]:
        """What was loaded, with sha256s of local files, for the result's inputs block."""

    def distributions(
        self, sequences: Sequence[Sequence[int]], starts: Sequence[int], batch_size: int = 8
    ) -> Iterator[tuple[int, NextTokenDistributions]]:
        """(index, distributions predicting tokens starts[i]..len-1) for each sequence i."""
        raise ForensicsError(
            f"{self.name} does not expose next-token distributions (open-model mode needs the weights, or an "
            "endpoint with full log-probabilities): use the closed-model mode, which only needs answers"
        )

    def token_logprobs(
        self, sequences: Sequence[Sequence[int]], batch_size: int = 8
    ) -> list[npt.NDArray[Any]]:
        """log p(x_t | x_<t) for t = 1..len-1 of each sequence."""
        raise ForensicsError(f"{self.name} cannot score given text (needs log-probabilities of the input)")

    def text_logprobs(self, texts: Sequence[str], batch_size: int = 8) -> list[npt.NDArray[Any]]:
        """Log-probabilities of each token of each text, in the suspect's own tokenization."""
        encoded = [self.tokenizer(text, add_special_tokens=False)["input_ids"] for text in texts]
        return self.token_logprobs(encoded, batch_size=batch_size)

    @abstractmethod
    def chat(
        self,
        prompts: Sequence[str],
        max_new_tokens: int,
        *,
        greedy: bool = False,
        temperature: float = 1.0,
        seed: int = 0,
        batch_size: int = 8,
    ) -> list[str]:
        """The suspect's answer to each single-turn chat prompt."""


def chat_prefix(tokenizer: Any, prompt: str) -> list[int]:
    """Token ids of a single-turn chat up to where the assistant's answer starts.

    Models with a chat template get it (so a student trained on ChatML answers is asked the same
    way); others get the prompt and a newline.
    """
    if getattr(tokenizer, "chat_template", None):
        ids = tokenizer.apply_chat_template(
            [{"role": "user", "content": prompt}], tokenize=True, add_generation_prompt=True
        )
        if isinstance(ids, dict) or hasattr(ids, "keys"):
            ids = ids["input_ids"]
        return [int(i) for i in ids]
    return [int(i) for i in tokenizer(prompt + "\n", add_special_tokens=False)["input_ids"]]


class LocalModel(SuspectModel):
    """A causal LM whose weights are here: full access, batched, on the GPU when there is one."""

    def __init__(
        self,
        model: Any,
        tokenizer: Any,
        name: str,
        files: Sequence[Path] = (),
        column_ids: Sequence[int] | None = None,
        device: torch.device | None = None,
    ) -> None:
        self.device = device or default_device()
        self.model = model.to(self.device).eval()
        self.tokenizer = tokenizer
        self.name = name
        self._files = list(files)
        self.vocab_size = len(tokenizer)
        n_columns = int(model.config.vocab_size)
        if column_ids is None:
            if n_columns < self.vocab_size:
                raise ForensicsError(
                    f"{name}: the model predicts {n_columns} tokens but its tokenizer has {self.vocab_size}: "
                    "they do not belong together"
                )
            self._columns = torch.arange(self.vocab_size)
            self._to_column = torch.arange(self.vocab_size)
            self._unknown_column: int | None = None
        else:
            kept = torch.tensor(list(column_ids), dtype=torch.long)
            if len(kept) + 1 != n_columns or int(kept.max()) >= self.vocab_size:
                raise ForensicsError(
                    f"{name}: {VOCAB_MAP_FILE} lists {len(kept)} kept ids (+1 for all others) but the model "
                    f"predicts {n_columns} tokens over a {self.vocab_size}-token tokenizer"
                )
            self._columns = kept
            self._unknown_column = len(kept)
            self._to_column = torch.full((self.vocab_size,), self._unknown_column, dtype=torch.long)
            self._to_column[kept] = torch.arange(len(kept))
        self.max_length = int(getattr(model.config, "max_position_embeddings", 2048))

    @property
    def kept_ids(self) -> list[int] | None:
        """The tokenizer ids a pruned-vocabulary student predicts (None: it predicts every id)."""
        return None if self._unknown_column is None else [int(i) for i in self._columns]

    def to_columns(self, ids: torch.Tensor) -> torch.Tensor:
        """Tokenizer ids as the model's input columns (ids a pruned student lacks share one column)."""
        return self._to_column[ids]

    def provenance(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": "local",
            "files": {str(p): sha256_file(p) for p in self._files},
            "parameters": sum(p.numel() for p in self.model.parameters()),
        }

    # -- reading ------------------------------------------------------------------------------

    def _forward_log_probs(self, batch: Sequence[Sequence[int]]) -> tuple[torch.Tensor, list[int]]:
        """Log-softmax over the model's columns for a right-padded batch, and each row's length."""
        lengths = [min(len(s), self.max_length) for s in batch]
        width = max(lengths)
        ids = torch.zeros((len(batch), width), dtype=torch.long)
        mask = torch.zeros((len(batch), width), dtype=torch.long)
        for row, (seq, n) in enumerate(zip(batch, lengths, strict=True)):
            ids[row, :n] = self._to_column[torch.tensor(list(seq[:n]), dtype=torch.long)]
            mask[row, :n] = 1
        with torch.inference_mode():
            logits = self.model(input_ids=ids.to(self.device), attention_mask=mask.to(self.device)).logits
        return torch.log_softmax(logits.float(), dim=-1).cpu(), lengths

    def _columns_view(self, log_probs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Probabilities of the real columns and the mass spread over ids the model does not keep."""
        probs = log_probs.exp()
        if self._unknown_column is None:
            return probs[..., : self.vocab_size], torch.zeros(probs.shape[:-1])
        return probs[..., : self._unknown_column], probs[..., self._unknown_column]

    def distributions(
        self, sequences: Sequence[Sequence[int]], starts: Sequence[int], batch_size: int = 8
    ) -> Iterator[tuple[int, NextTokenDistributions]]:
        order = sorted(range(len(sequences)), key=lambda i: len(sequences[i]))
        for first in range(0, len(order), batch_size):
            chunk = order[first : first + batch_size]
            log_probs, lengths = self._forward_log_probs([sequences[i] for i in chunk])
            for row, index in enumerate(chunk):
                begin = max(int(starts[index]), 1)
                if begin >= lengths[row]:
                    continue
                probs, spread = self._columns_view(log_probs[row, begin - 1 : lengths[row] - 1])
                yield index, NextTokenDistributions(probs, self._columns, spread, self.vocab_size, begin)

    def token_logprobs(
        self, sequences: Sequence[Sequence[int]], batch_size: int = 8
    ) -> list[npt.NDArray[Any]]:
        out: list[npt.NDArray[Any]] = [np.zeros(0)] * len(sequences)
        order = sorted(range(len(sequences)), key=lambda i: len(sequences[i]))
        outside = max(self.vocab_size - len(self._columns), 1)
        for first in range(0, len(order), batch_size):
            chunk = order[first : first + batch_size]
            log_probs, lengths = self._forward_log_probs([sequences[i] for i in chunk])
            for row, index in enumerate(chunk):
                n = lengths[row]
                targets = torch.tensor(list(sequences[index][1:n]), dtype=torch.long)
                columns = self._to_column[targets]
                picked = log_probs[row, : n - 1].gather(1, columns[:, None])[:, 0]
                if self._unknown_column is not None:  # an unkept token gets its equal share of the spread
                    picked = torch.where(
                        columns == self._unknown_column, picked - float(np.log(outside)), picked
                    )
                out[index] = picked.numpy().astype(np.float64)
        return out

    # -- writing ------------------------------------------------------------------------------

    def generate_ids(
        self,
        prompts: Sequence[Sequence[int]],
        max_new_tokens: int,
        *,
        greedy: bool = False,
        temperature: float = 1.0,
        seed: int = 0,
        logits_processor: Any = None,
        repetition_penalty: float = 1.0,
    ) -> list[list[int]]:
        """New token ids for each prompt (one left-padded batch), stopping at end-of-sequence."""
        if self._unknown_column is not None and logits_processor is not None:
            raise ForensicsError(
                f"{self.name}: a pruned-vocabulary student cannot run a teacher's logits processor"
            )
        width = max(len(p) for p in prompts)
        pad = 0
        ids = torch.full((len(prompts), width), pad, dtype=torch.long)
        mask = torch.zeros((len(prompts), width), dtype=torch.long)
        for row, prompt in enumerate(prompts):
            ids[row, width - len(prompt) :] = self._to_column[torch.tensor(list(prompt), dtype=torch.long)]
            mask[row, width - len(prompt) :] = 1
        eos = self.tokenizer.eos_token_id
        eos_column = int(self._to_column[eos]) if eos is not None else None
        torch.manual_seed(seed)
        with torch.inference_mode():
            out = self.model.generate(
                input_ids=ids.to(self.device),
                attention_mask=mask.to(self.device),
                max_new_tokens=max_new_tokens,
                do_sample=not greedy,
                temperature=temperature if not greedy else None,
                top_k=0 if not greedy else None,
                top_p=1.0 if not greedy else None,
                pad_token_id=pad,
                eos_token_id=eos_column,
                logits_processor=[logits_processor] if logits_processor is not None else None,
                repetition_penalty=repetition_penalty,
            )
        results: list[list[int]] = []
        for row in out[:, width:].cpu():
            tokens: list[int] = []
            for column in row.tolist():
                if column == eos_column:
                    break
                if self._unknown_column is not None and column == self._unknown_column:
                    continue  # an unkept token has no single id to write
                tokens.append(int(self._columns[column]))
            results.append(tokens)
        return results

    def chat(
        self,
        prompts: Sequence[str],
        max_new_tokens: int,
        *,
        greedy: bool = False,
        temperature: float = 1.0,
        seed: int = 0,
        batch_size: int = 8,
    ) -> list[str]:
        answers: list[str] = []
        for first in range(0, len(prompts), batch_size):
            batch = [chat_prefix(self.tokenizer, p) for p in prompts[first : first + batch_size]]
            new = self.generate_ids(
                batch, max_new_tokens, greedy=greedy, temperature=temperature, seed=seed + first
            )
            answers.extend(self.tokenizer.decode(ids, skip_special_tokens=True) for ids in new)
        return answers


def _find_gguf(folder: Path) -> Path | None:
    found = sorted(folder.glob("*.gguf"))
    if len(found) > 1:
        raise ForensicsError(
            f"{folder} holds {len(found)} GGUF files: pass the one to test as the model path"
        )
    return found[0] if found else None


def load_local(path: Path, device: torch.device | None = None) -> LocalModel:
    """A transformers causal LM from a folder (config.json + weights), a GGUF file, or a folder with one."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    path = Path(path)
    if not path.exists():
        raise ForensicsError(f"model path {path} does not exist")
    gguf = path if path.suffix == ".gguf" else (_find_gguf(path) if path.is_dir() else None)
    if gguf is None and not (path / "config.json").is_file():
        raise ForensicsError(
            f"{path} is neither a GGUF file nor a Hugging Face model folder (no config.json): "
            "pass a folder written by save_pretrained or a .gguf file"
        )
    folder = gguf.parent if gguf is not None else path
    extra = {"gguf_file": gguf.name} if gguf is not None else {}
    try:
        tokenizer = AutoTokenizer.from_pretrained(folder, **extra)
        model = AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32, **extra)
    except Exception as error:  # loaders raise many types (config validation, unpickling, shapes)
        raise ForensicsError(f"{path} did not load as a causal language model: {error}") from error
    files = (
        [gguf] if gguf is not None else sorted(p for p in folder.iterdir() if p.suffix in _WEIGHT_SUFFIXES)
    )
    column_ids = None
    vocab_map = folder / VOCAB_MAP_FILE
    if gguf is None and vocab_map.is_file():
        column_ids = json.loads(vocab_map.read_text(encoding="utf-8"))["kept_token_ids"]
        files.append(vocab_map)
    return LocalModel(model, tokenizer, name=str(path), files=files, column_ids=column_ids, device=device)


def load_suspect(
    spec: str, *, endpoint_model: str | None = None, tokenizer_path: Path | None = None
) -> SuspectModel:
    """A suspect from a path, or from an http(s) URL of an OpenAI-compatible API (served model name given)."""
    if spec.startswith(("http://", "https://")):
        from distillgov.forensics.endpoint import EndpointModel

        tokenizer = load_tokenizer(tokenizer_path) if tokenizer_path is not None else None
        return EndpointModel(spec, model=endpoint_model or "default", tokenizer=tokenizer)
    return load_local(Path(spec))


def load_tokenizer(path: Path) -> Any:
    """The tokenizer of a model folder or GGUF file (the key's tokenizer for closed-model scoring)."""
    from transformers import AutoTokenizer

    path = Path(path)
    gguf = path if path.suffix == ".gguf" else (_find_gguf(path) if path.is_dir() else None)
    try:
        if gguf is not None:
            return AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
        return AutoTokenizer.from_pretrained(path)
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise ForensicsError(f"no tokenizer could be read from {path}: {error}") from error


def tokenizer_fingerprint(tokenizer: Any) -> str:
    """A digest of the token-to-id table: equal digests mean the ids mean the same strings."""
    import hashlib

    vocab = sorted(tokenizer.get_vocab().items(), key=lambda item: item[1])
    return hashlib.sha256(json.dumps(vocab, ensure_ascii=False).encode("utf-8")).hexdigest()


def require_same_tokenizer(key_tokenizer: Any, suspect: SuspectModel) -> None:
    """Open-model scoring reads green lists by token id: ids must mean the same strings in both."""
    if tokenizer_fingerprint(key_tokenizer) != tokenizer_fingerprint(suspect.tokenizer):
        raise ForensicsError(
            f"tokenizer mismatch: {suspect.name} does not use the tokenizer the watermark key was applied "
            "with, so its token ids cannot be scored against the key's green lists; use the closed-model "
            "mode (which re-tokenizes the suspect's text with the key's tokenizer) or the lineage test"
        )
