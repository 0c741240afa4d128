"""A suspect reachable only through an OpenAI-compatible HTTP API.

Answers come from `/chat/completions`; log-probabilities of given text (for membership features)
from the legacy `/completions` route with `echo` and `logprobs`, which vLLM, llama.cpp's server
and `distillgov watermark serve` offer and most commercial APIs do not. Whatever the endpoint
refuses or leaves out is reported as a `ForensicsError` naming the route and what the test needed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import httpx
import numpy as np
import numpy.typing as npt

from distillgov.forensics.errors import ForensicsError
from distillgov.forensics.models import SuspectModel

TIMEOUT_S = 120.0


class EndpointModel(SuspectModel):
    """A served model: closed-model tests always, text scoring when the server echoes log-probabilities."""

    def __init__(
        self,
        base_url: str,
        model: str,
        tokenizer: Any = None,
        api_key: str | None = None,
        client: httpx.Client | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.model = model
        self.name = f"{self.base_url} ({model})"
        self.tokenizer = tokenizer
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._client = client or httpx.Client(base_url=self.base_url, headers=headers, timeout=TIMEOUT_S)

    def provenance(self) -> dict[str, Any]:
        return {"name": self.name, "kind": "endpoint", "base_url": self.base_url, "model": self.model}

    def _post(self, route: str, body: dict[str, Any], need: str) -> dict[str, Any]:
        try:
            response = self._client.post(route, json=body)
        except httpx.HTTPError as error:
            raise ForensicsError(f"{self.name}: {route} could not be reached ({error}); {need}") from error
        if response.status_code != 200:
            raise ForensicsError(
                f"{self.name}: {route} refused the request (HTTP {response.status_code}: "
                f"{response.text[:200]!r}); {need}"
            )
        try:
            payload: dict[str, Any] = response.json()
        except ValueError as error:
            raise ForensicsError(f"{self.name}: {route} answered with something other than JSON") from error
        return payload

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
        answers = []
        for index, prompt in enumerate(prompts):
            body = {
                "model": self.model,
                "messages": [{"role": "user", "content": prompt}],
                "max_tokens": max_new_tokens,
                "temperature": 0.0 if greedy else temperature,
                "seed": seed + index,
            }
            payload = self._post("/chat/completions", body, "closed-model tests need chat answers")
            try:
                answers.append(str(payload["choices"][0]["message"]["content"] or ""))
            except (KeyError, IndexError, TypeError) as error:
                raise ForensicsError(
                    f"{self.name}: a chat completion without choices[0].message.content"
                ) from error
        return answers

    def text_logprobs(self, texts: Sequence[str], batch_size: int = 8) -> list[npt.NDArray[Any]]:
        need = (
            "membership features need log-probabilities of given text (/completions with echo and logprobs)"
        )
        out = []
        for text in texts:
            body = {"model": self.model, "prompt": text, "max_tokens": 0, "echo": True, "logprobs": 0}
            payload = self._post("/completions", body, need)
            try:
                values = payload["choices"][0]["logprobs"]["token_logprobs"]
            except (KeyError, IndexError, TypeError) as error:
                raise ForensicsError(
                    f"{self.name}: /completions returned no token_logprobs; {need}"
                ) from error
            scored = [float(v) for v in values if v is not None]  # the first token has no context
            out.append(np.array(scored, dtype=np.float64))
        return out
