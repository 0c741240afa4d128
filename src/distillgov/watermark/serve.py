"""An OpenAI-compatible endpoint that watermarks every answer with its account group's key.

The account is the bearer token (`Authorization: Bearer <account>`), or else the request's
`safety_identifier` / `user` field. Each request's output is watermarked under
`derive_key(master, group, split)`, where the group is the account (or the campaign detection
linked it to, via a findings file) and the split a secret coin per request id. A ledger (JSONL)
records, per request, which group, split and key id were used and the hashes of prompt and
answer — never the key — so that traffic logs and model evidence can be joined later.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from pydantic import BaseModel, Field

from distillgov.watermark.keys import assign_split, derive_key, key_fingerprint
from distillgov.watermark.schemes import WatermarkSettings
from distillgov.watermark.teacher import Generation, Teacher, TokenLogprob, generate, render_prompt


class ChatMessage(BaseModel):
    role: str
    content: str


class _Sampling(BaseModel):
    model: str | None = None
    max_tokens: int | None = Field(default=None, ge=1)
    temperature: float = Field(default=0.7, ge=0.0, le=2.0)
    top_p: float = Field(default=0.95, gt=0.0, le=1.0)
    user: str | None = None
    safety_identifier: str | None = None
    seed: int | None = None


class ChatRequest(_Sampling):
    messages: list[ChatMessage] = Field(min_length=1)
    max_completion_tokens: int | None = Field(default=None, ge=1)
    logprobs: bool = False
    top_logprobs: int | None = Field(default=None, ge=0, le=20)


class CompletionRequest(_Sampling):
    prompt: str = Field(min_length=1)
    logprobs: int | None = Field(default=None, ge=0, le=5)


@dataclass(frozen=True)
class ServeConfig:
    """What the server needs besides the model: keys, groups, limits, and where the ledger goes."""

    master_key: bytes
    settings: WatermarkSettings
    model_name: str
    groups: Mapping[str, str]  # account id -> group id; unlisted accounts are their own group
    max_tokens_limit: int = 512
    default_max_tokens: int = 128
    n_splits: int = 2
    ledger: Path | None = None


@dataclass(frozen=True)
class KeyChoice:
    """The key one request is watermarked under, and how it was chosen (for the ledger)."""

    account_id: str
    group_id: str
    split: int
    key: bytes


def choose_key(config: ServeConfig, account_id: str, request_id: str) -> KeyChoice:
    """Group of the account, secret split of the request, and the key derived from both."""
    group = config.groups.get(account_id, f"account:{account_id}")
    split = assign_split(config.master_key, request_id, config.n_splits)
    return KeyChoice(account_id, group, split, derive_key(config.master_key, group, split))


def _account(request: Request, body: _Sampling) -> str:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer ") and header[7:].strip():
        return header[7:].strip()
    account = body.safety_identifier or body.user
    if not account:
        raise HTTPException(
            status_code=401,
            detail="no account: send `Authorization: Bearer <account>` or a `user`/`safety_identifier` field",
        )
    return account


class WatermarkServer:
    """Serialises generation on one model (torch is not re-entrant here) and writes the ledger."""

    def __init__(self, teacher: Teacher, config: ServeConfig) -> None:
        self.teacher = teacher
        self.config = config
        self._lock = threading.Lock()

    def complete(
        self,
        account: str,
        request_id: str,
        prompt: str,
        body: _Sampling,
        max_tokens: int | None,
        top: int | None,
    ) -> Generation:
        limit = self.config.max_tokens_limit
        wanted = max_tokens or self.config.default_max_tokens
        if wanted > limit:
            raise HTTPException(
                status_code=400, detail=f"max_tokens {wanted} exceeds this server's limit {limit}"
            )
        choice = choose_key(self.config, account, request_id)
        options = self.config.settings.generation_options(choice.key, self.teacher.vocab_size)
        with self._lock:
            (result,) = generate(
                self.teacher,
                [prompt],
                max_new_tokens=wanted,
                temperature=body.temperature,
                top_p=body.top_p,
                seed=body.seed,
                logprobs=top,
                **options,
            )
            self._record(choice, request_id, prompt, result)
        return result

    def _record(self, choice: KeyChoice, request_id: str, prompt: str, result: Generation) -> None:
        if self.config.ledger is None:
            return
        row = {
            "request_id": request_id,
            "account_id": choice.account_id,
            "group_id": choice.group_id,
            "split": choice.split,
            "key_id": key_fingerprint(choice.key),
            "scheme": self.config.settings.scheme,
            "prompt_sha256": hashlib.sha256(prompt.encode()).hexdigest(),
            "completion_sha256": hashlib.sha256(result.text.encode()).hexdigest(),
            "completion_tokens": len(result.completion_ids),
            "created": int(time.time()),
        }
        with self.config.ledger.open("a") as ledger:
            ledger.write(json.dumps(row, sort_keys=True) + "\n")

    def token_text(self, token_id: int) -> str:
        # Decoded like the completion's text (special tokens skipped), so that, as in OpenAI's API,
        # the text is the concatenation of the logprobs' tokens.
        text: str = self.teacher.tokenizer.decode([token_id], skip_special_tokens=True)
        return text


def _usage(result: Generation) -> dict[str, int]:
    completion = len(result.completion_ids)
    return {
        "prompt_tokens": result.prompt_tokens,
        "completion_tokens": completion,
        "total_tokens": result.prompt_tokens + completion,
    }


def _chat_logprobs(server: WatermarkServer, entries: list[TokenLogprob]) -> dict[str, Any]:
    def item(token_id: int, logprob: float) -> dict[str, Any]:
        text = server.token_text(token_id)
        return {"token": text, "logprob": logprob, "bytes": list(text.encode())}

    return {
        "content": [
            {**item(entry.token_id, entry.logprob), "top_logprobs": [item(t, v) for t, v in entry.top]}
            for entry in entries
        ]
    }


def _completion_logprobs(server: WatermarkServer, entries: list[TokenLogprob]) -> dict[str, Any]:
    tokens = [server.token_text(entry.token_id) for entry in entries]
    offsets, position = [], 0
    for token in tokens:
        offsets.append(position)
        position += len(token)
    return {
        "tokens": tokens,
        "token_logprobs": [entry.logprob for entry in entries],
        "top_logprobs": [{server.token_text(t): v for t, v in entry.top} for entry in entries],
        "text_offset": offsets,
    }


def create_app(teacher: Teacher, config: ServeConfig) -> FastAPI:
    """The FastAPI application; `uvicorn` serves it, tests call it through a TestClient."""
    server = WatermarkServer(teacher, config)
    app = FastAPI(title="distillgov watermarking teacher", version="1")
    app.state.server = server

    @app.get("/v1/models")
    def models() -> dict[str, Any]:
        return {
            "object": "list",
            "data": [{"id": config.model_name, "object": "model", "owned_by": "distillgov"}],
        }

    @app.post("/v1/chat/completions")
    def chat(body: ChatRequest, request: Request) -> dict[str, Any]:
        account = _account(request, body)
        request_id = f"chatcmpl-{uuid.uuid4().hex}"
        prompt = render_prompt(teacher.tokenizer, [m.model_dump() for m in body.messages])
        top = (body.top_logprobs or 0) if body.logprobs else None
        result = server.complete(
            account, request_id, prompt, body, body.max_completion_tokens or body.max_tokens, top
        )
        logprobs = _chat_logprobs(server, result.logprobs) if result.logprobs is not None else None
        return {
            "id": request_id,
            "object": "chat.completion",
            "created": int(time.time()),
            "model": config.model_name,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": result.text},
                    "logprobs": logprobs,
                    "finish_reason": result.finish_reason,
                }
            ],
            "usage": _usage(result),
        }

    @app.post("/v1/completions")
    def completions(body: CompletionRequest, request: Request) -> dict[str, Any]:
        account = _account(request, body)
        request_id = f"cmpl-{uuid.uuid4().hex}"
        result = server.complete(account, request_id, body.prompt, body, body.max_tokens, body.logprobs)
        logprobs = _completion_logprobs(server, result.logprobs) if result.logprobs is not None else None
        return {
            "id": request_id,
            "object": "text_completion",
            "created": int(time.time()),
            "model": config.model_name,
            "choices": [
                {"index": 0, "text": result.text, "logprobs": logprobs, "finish_reason": result.finish_reason}
            ],
            "usage": _usage(result),
        }

    return app
