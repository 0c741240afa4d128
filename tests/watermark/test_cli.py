"""`distillgov watermark detect` end to end, and a `--help` that never loads torch."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from distillgov.cli import app
from distillgov.provenance import sha256_file
from distillgov.watermark.keys import derive_key
from distillgov.watermark.kgw import GreenList, KGWLogitsProcessor
from distillgov.watermark.teacher import Teacher, generate

MASTER_HEX = "ab" * 32


def _flat(output: str) -> str:
    """CLI output without whitespace and panel borders, so a message wrapped by the terminal still matches."""
    return re.sub(r"[\s│╭╮╰╯─]", "", output)


def test_detect_writes_evidence_with_provenance_and_attribution(
    tiny_teacher: Teacher, tiny_model_dir: Path, prompts: list[str], tmp_path: Path
) -> None:
    key = derive_key(bytes.fromhex(MASTER_HEX), "account:alice", 0)
    processor = KGWLogitsProcessor(GreenList(key, tiny_teacher.vocab_size))
    generations = generate(tiny_teacher, prompts[:3], [processor], max_new_tokens=60, seed=8)
    textfile = tmp_path / "suspect.jsonl"
    textfile.write_text(
        "".join(
            json.dumps({"text": g.text, "prompt": p}) + "\n"
            for g, p in zip(generations, prompts, strict=False)
        )
    )
    out = tmp_path / "result.json"
    args = ["watermark", "detect", str(textfile), "--key", MASTER_HEX, "--model", str(tiny_model_dir)]
    result = CliRunner().invoke(
        app, [*args, "--group", "account:alice", "--group", "account:bob", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    report = json.loads(out.read_text())
    assert report["inputs"][0]["sha256"] == sha256_file(textfile)
    assert report["tool"]["name"] == "distillgov"
    assert report["parameters"]["scheme"] == "kgw" and report["parameters"]["gamma"] == 0.25
    assert len(report["results"]) == 4  # two groups x two splits
    top = report["attribution"][0]
    assert top["group_id"] == "account:alice#split0" and top["significant"]
    assert not any(a["significant"] for a in report["attribution"][1:])


def test_detect_refuses_bad_input_with_a_reason(tiny_model_dir: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "fine"}\nnot json\n')
    args = ["watermark", "detect", str(bad), "--key", MASTER_HEX, "--model", str(tiny_model_dir)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2 and "bad.jsonl:2" in _flat(result.output)
    short = tmp_path / "short.txt"
    short.write_text("the model")
    result = CliRunner().invoke(
        app, ["watermark", "detect", str(short), "--key", MASTER_HEX, "--model", str(tiny_model_dir)]
    )
    assert result.exit_code == 2 and "supplymoretext" in _flat(result.output)
    result = CliRunner().invoke(
        app, ["watermark", "detect", str(short), "--key", MASTER_HEX, "--model", str(tmp_path / "none")]
    )
    assert result.exit_code == 2 and "doesnotexist" in _flat(result.output)


@pytest.mark.slow
def test_help_does_not_import_torch() -> None:
    code = "import sys; from distillgov.cli import app; assert 'torch' not in sys.modules, 'torch imported'"
    subprocess.run([sys.executable, "-c", code], check=True)
