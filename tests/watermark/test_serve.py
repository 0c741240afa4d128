"""The OpenAI-compatible endpoint: answers in OpenAI's shape, watermarks per account group and split."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from distillgov.watermark.detect import score_text
from distillgov.watermark.keys import derive_key
from distillgov.watermark.kgw import GreenList
from distillgov.watermark.schemes import WatermarkSettings
from distillgov.watermark.serve import ServeConfig, create_app
from distillgov.watermark.teacher import Teacher

MASTER = b"serving master key, thirty-two b"


@pytest.fixture(scope="module")
def served(tiny_teacher: Teacher, tmp_path_factory: pytest.TempPathFactory) -> tuple[TestClient, Path]:
    ledger = tmp_path_factory.mktemp("serve") / "ledger.jsonl"
    config = ServeConfig(
        master_key=MASTER,
        settings=WatermarkSettings(scheme="kgw"),
        model_name="tiny",
        groups={"carol": "campaign:c1"},
        ledger=ledger,
    )
    return TestClient(create_app(tiny_teacher, config)), ledger


def _chat(client: TestClient, account: str, content: str, **extra: Any) -> dict[str, Any]:
    body = {"model": "tiny", "messages": [{"role": "user", "content": content}], "max_tokens": 60, **extra}
    response = client.post("/v1/chat/completions", json=body, headers={"Authorization": f"Bearer {account}"})
    assert response.status_code == 200, response.text
    payload: dict[str, Any] = response.json()
    return payload


def test_chat_answers_in_openai_shape_with_logprobs(served: tuple[TestClient, Path]) -> None:
    client, _ = served
    payload = _chat(client, "alice", "the model answer", logprobs=True, top_logprobs=2)
    assert payload["object"] == "chat.completion"
    choice = payload["choices"][0]
    assert choice["message"]["role"] == "assistant"
    assert choice["finish_reason"] in {"stop", "length"}
    assert payload["usage"]["completion_tokens"] == len(choice["logprobs"]["content"])
    first = choice["logprobs"]["content"][0]
    assert first["logprob"] <= 0 and len(first["top_logprobs"]) == 2


def test_completions_endpoint_and_account_from_user_field(served: tuple[TestClient, Path]) -> None:
    client, _ = served
    response = client.post(
        "/v1/completions", json={"prompt": "the river", "max_tokens": 10, "logprobs": 1, "user": "dave"}
    )
    assert response.status_code == 200, response.text
    choice = response.json()["choices"][0]
    assert choice["text"] == "".join(choice["logprobs"]["tokens"]) or choice["finish_reason"] == "stop"


def test_requests_without_an_account_or_over_the_limit_are_refused(served: tuple[TestClient, Path]) -> None:
    client, _ = served
    body = {"messages": [{"role": "user", "content": "hi"}]}
    assert client.post("/v1/chat/completions", json=body).status_code == 401
    too_long = {**body, "user": "alice", "max_tokens": 10_000}
    assert "limit" in client.post("/v1/chat/completions", json=too_long).json()["detail"]


@pytest.mark.slow
def test_each_account_group_gets_its_own_key_and_split(
    served: tuple[TestClient, Path], tiny_teacher: Teacher
) -> None:
    client, ledger = served
    answers = {}
    for account in ("alice", "carol"):
        for i in range(6):
            payload = _chat(client, account, f"question {i} about the garden")
            answers[payload["id"]] = payload["choices"][0]["message"]["content"]
    rows = {row["request_id"]: row for row in map(json.loads, ledger.read_text().splitlines())}
    buckets: dict[tuple[str, int], list[str]] = {}
    tokens: dict[tuple[str, int], int] = {}
    for request_id, text in answers.items():
        row = rows[request_id]
        assert row["key_id"] and "key" not in row  # the ledger names keys, never holds them
        buckets.setdefault((row["group_id"], row["split"]), []).append(text)
        tokens[(row["group_id"], row["split"])] = (
            tokens.get((row["group_id"], row["split"]), 0) + row["completion_tokens"]
        )
    assert {group for group, _ in buckets} == {"account:alice", "campaign:c1"}  # carol served as her campaign
    # A split that drew only one answer which stopped early has too little text to test: leave it out.
    scorable = {bucket: texts for bucket, texts in buckets.items() if tokens[bucket] >= 40}
    assert {group for group, _ in scorable} == {"account:alice", "campaign:c1"}
    vocab = tiny_teacher.vocab_size
    for (group, split), texts in scorable.items():
        own = GreenList(derive_key(MASTER, group, split), vocab)
        assert score_text(own, texts, tiny_teacher.tokenizer).p_value < 1e-4, (group, split)
        other_group = "campaign:c1" if group == "account:alice" else "account:alice"
        other = GreenList(derive_key(MASTER, other_group, split), vocab)
        assert score_text(other, texts, tiny_teacher.tokenizer).p_value > 1e-3, (group, split)
