"""A tiny, randomly initialised Llama with a tokenizer trained here: real transformers code, no download."""

from __future__ import annotations

import os
import random
from pathlib import Path

import pytest

os.environ["HF_HUB_OFFLINE"] = "1"


@pytest.fixture(scope="session", autouse=True)
def _one_torch_thread() -> None:
    """Tiny models gain nothing from threads, and on a shared 2-core CI (xdist runs two workers)
    spinning intra-op threads made generation ~25x slower when measured here."""
    import torch

    torch.set_num_threads(1)


WORDS = [
    *("the", "a", "model", "answer", "question", "data", "teacher", "student", "key", "green", "list"),
    *("token", "river", "stone", "light", "code", "number", "table", "window", "market", "city"),
    *("garden", "music", "paper", "letter", "train", "field", "night", "morning"),
]


def _corpus(n_lines: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    return [" ".join(rng.choice(WORDS) for _ in range(rng.randint(5, 15))) for _ in range(n_lines)]


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A saved folder (config, weights, tokenizer) loadable by `teacher.load_teacher`."""
    import torch
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    folder = tmp_path_factory.mktemp("tiny-llama")
    bpe = Tokenizer(models.BPE(unk_token="<unk>"))
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    trainer = trainers.BpeTrainer(vocab_size=300, special_tokens=["<pad>", "<unk>", "<eos>"])
    bpe.train_from_iterator(_corpus(2000, seed=1), trainer=trainer)
    from tokenizers import decoders

    bpe.decoder = decoders.ByteLevel()
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=bpe, pad_token="<pad>", unk_token="<unk>", eos_token="<eos>"
    )
    tokenizer.save_pretrained(folder)
    torch.manual_seed(0)
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=512,
        pad_token_id=tokenizer.pad_token_id,
        eos_token_id=tokenizer.eos_token_id,
        bos_token_id=tokenizer.eos_token_id,
    )
    LlamaForCausalLM(config).save_pretrained(folder)
    return folder


@pytest.fixture(scope="session")
def tiny_teacher(tiny_model_dir: Path):  # type: ignore[no-untyped-def]
    from distillgov.watermark.teacher import load_teacher

    return load_teacher(tiny_model_dir, device="cpu")


@pytest.fixture(scope="session")
def prompts() -> list[str]:
    return _corpus(8, seed=2)
