"""Bad input gets a clear error naming what is needed, never a p-value computed on nothing."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import WATERMARK, TinyWorld, _tokenizer
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.testclient import TestClient
from typer.testing import CliRunner

from distillgov.cli import app
from distillgov.forensics.endpoint import EndpointModel
from distillgov.forensics.errors import ForensicsError
from distillgov.forensics.models import load_local
from distillgov.forensics.radioactivity import closed_model_test, open_model_test
from distillgov.forensics.trained_on import trained_on_test
from distillgov.watermark.kgw import GreenList


def test_a_folder_without_a_model_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ForensicsError, match="neither a GGUF file nor a Hugging Face model folder"):
        load_local(tmp_path)
    with pytest.raises(ForensicsError, match="does not exist"):
        load_local(tmp_path / "missing")


def test_a_model_folder_that_does_not_load_is_refused(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text(json.dumps({"model_type": "llama", "hidden_size": "wide"}))
    with pytest.raises(ForensicsError, match="did not load as a causal language model"):
        load_local(tmp_path)


def test_the_cli_reports_a_bad_model_folder_without_a_result(tmp_path: Path) -> None:
    out = tmp_path / "result.json"
    result = CliRunner().invoke(
        app,
        [
            "forensics",
            "radioactivity",
            str(tmp_path / "nope"),
            "--master-key",
            "k" * 32,
            "--group",
            "g",
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 2
    assert "does not exist" in " ".join(result.output.split())
    assert not out.exists()


def test_the_cli_module_does_not_import_torch() -> None:
    code = "import sys, distillgov.forensics.cli; print('torch' in sys.modules)"
    assert (
        subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True
        ).stdout.strip()
        == "False"
    )


@pytest.mark.slow
def test_a_tokenizer_that_is_not_the_keys_is_refused(tiny_world: TinyWorld) -> None:
    other = _tokenizer(["entirely", "different", "words"] * 3)
    green = GreenList(b"x" * 32, len(other), WATERMARK)
    with pytest.raises(ForensicsError, match="tokenizer mismatch"):
        open_model_test(tiny_world.distilled, other, green, tiny_world.probes)


@pytest.mark.slow
def test_too_few_probe_tokens_for_the_significance_is_refused(tiny_world: TinyWorld) -> None:
    w = tiny_world
    with pytest.raises(ForensicsError, match="distinct watermark contexts"):
        open_model_test(w.distilled, w.tokenizer, w.green_list, [w.probes[0][:6]], significance=1e-6)
    with pytest.raises(ForensicsError, match="supply more text"):
        closed_model_test([[1, 2, 3]], w.green_list, calibration_keys=0)
    with pytest.raises(ForensicsError, match="at least 20 texts"):
        long_enough = "the man said that he was there in the city on the day of the election"
        trained_on_test(w.distilled, [long_enough] * 5, [long_enough] * 5)


def _refusing_api() -> FastAPI:
    api = FastAPI()

    @api.post("/chat/completions")
    async def chat(request: Request) -> JSONResponse:
        return JSONResponse({"error": {"message": "model distillation is not permitted"}}, status_code=403)

    return api


def _chat_only_api() -> FastAPI:
    api = FastAPI()

    @api.post("/chat/completions")
    async def chat(request: Request) -> JSONResponse:
        body = await request.json()
        return JSONResponse(
            {
                "choices": [
                    {"message": {"role": "assistant", "content": "echo " + body["messages"][0]["content"]}}
                ]
            }
        )

    return api


def test_an_endpoint_that_refuses_is_a_clear_error() -> None:
    suspect = EndpointModel("http://testserver", "suspect", client=TestClient(_refusing_api()))
    with pytest.raises(ForensicsError, match="refused the request \\(HTTP 403"):
        suspect.chat(["hello"], 8)


def test_an_endpoint_without_text_scoring_says_what_the_test_needs() -> None:
    suspect = EndpointModel("http://testserver", "suspect", client=TestClient(_chat_only_api()))
    assert suspect.chat(["hello"], 8) == ["echo hello"]
    with pytest.raises(ForensicsError, match="membership features need log-probabilities"):
        suspect.text_logprobs(["some text"])
    with pytest.raises(ForensicsError, match="open-model mode needs the weights"):
        next(iter(suspect.distributions([[1, 2, 3]], [0])))


@pytest.mark.slow
def test_the_cli_weighs_contexts_by_a_served_file_and_records_its_digest(
    tiny_world: TinyWorld, tmp_path: Path
) -> None:
    from distillgov.forensics.train import save_student
    from distillgov.provenance import sha256_file

    w = tiny_world
    folder = tmp_path / "suspect"
    save_student(w.distilled, folder)
    probes, served = tmp_path / "probes.jsonl", tmp_path / "served.jsonl"
    probes.write_text("".join(json.dumps({"text": w.tokenizer.decode(s)}) + "\n" for s in w.probes))
    served.write_text("".join(json.dumps({"text": w.tokenizer.decode(s)}) + "\n" for s in w.lineage_probes))
    out = tmp_path / "result.json"
    common = ["forensics", "radioactivity", str(folder), "--master-key", "k" * 32, "--group", "g"]
    options = ["--key-tokenizer", str(folder), "--probes", str(probes), "--served", str(served)]
    result = CliRunner().invoke(
        app, [*common, *options, "--calibration-keys", "0", "--significance", "0.5", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    document = json.loads(out.read_text())
    assert document["inputs"]["served"]["sha256"] == sha256_file(served)
    assert document["result"]["details"]["weighted_by_served_contexts"] is True
    closed = CliRunner().invoke(app, [*common, *options, "--mode", "closed", "--out", str(out)])
    assert closed.exit_code == 2
    assert "--served" in closed.output and "open mode" in " ".join(closed.output.split())
