"""MinHash signatures: agreement with a from-the-definition reference, similarity, stability."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from distillgov.traffic import signature
from distillgov.traffic.signature import (
    SIGNATURE_SIZE,
    estimated_jaccard,
    minhash_signatures,
    signature_matrix,
)

MASK = (1 << 64) - 1


def _splitmix(x: int) -> int:
    x = (x + 0x9E3779B97F4A7C15) & MASK
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & MASK
    return x ^ (x >> 31)


def _is_word(character: str) -> bool:
    code = ord(character)
    if code < 128:
        return character.isalnum()
    return not (0xA0 <= code <= 0xBF or 0x2000 <= code <= 0x207F or 0x3000 <= code <= 0x303F)


def reference(text: str | None) -> list[int] | None:
    """The algorithm of the module docstring, one token and one shingle at a time."""
    if text is None:
        return None
    tokens, current = [], ""
    for character in text.lower():
        if _is_word(character):
            current += character
        elif current:
            tokens.append(current)
            current = ""
    if current:
        tokens.append(current)
    if not tokens:
        return None
    hashes = []
    for token in tokens:
        data, poly = token.encode(), 0
        for byte in data:
            poly = (poly * signature._POLY_BASE + byte) & MASK
        hashes.append(_splitmix((poly + len(data)) & MASK))
    if len(hashes) >= 3:
        shingles = [
            _splitmix((hashes[j] * signature._K1 + hashes[j + 1] * signature._K2 + hashes[j + 2]) & MASK)
            for j in range(len(hashes) - 2)
        ]
    else:
        shingles = [_splitmix(h ^ signature._UNIGRAM_SEED) for h in hashes]
    return [
        min(((int(a) * s + int(b)) & MASK) >> 32 for s in shingles)
        for a, b in zip(signature.PERMUTATION_A, signature.PERMUTATION_B, strict=True)
    ]


TEXTS = [
    "Hello, World! foo_bar",
    None,
    "",
    "  ..  ",
    "Élan vital, café au lait: 42x",
    "one",
    "two words",
    "The quick brown fox jumps over the lazy dog.",
    "“Curly quotes” — dashes… «guillemets» 日本語。テスト",
    "non\u00a0breaking space",
]


def test_matches_the_reference_definition() -> None:
    got = minhash_signatures(pa.array(TEXTS)).to_pylist()
    assert got == [reference(t) for t in TEXTS]


def test_permutation_constants_follow_from_the_seed() -> None:
    state, a, b = signature._PERMUTATION_SEED, [], []
    for _ in range(SIGNATURE_SIZE):
        state = _splitmix(state)
        a.append(state | 1)
        state = _splitmix(state)
        b.append(state)
    assert signature.PERMUTATION_A.tolist() == a
    assert signature.PERMUTATION_B.tolist() == b


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(st.none(), st.text(max_size=60)), max_size=8))
def test_any_text_matches_the_reference(texts: list[str | None]) -> None:
    # Lowercasing can differ between Python and utf8proc for rare characters; compare on ASCII.
    ascii_texts = [t.encode("ascii", "ignore").decode() if t is not None else None for t in texts]
    assert minhash_signatures(pa.array(ascii_texts, pa.string())).to_pylist() == [
        reference(t) for t in ascii_texts
    ]


def test_near_duplicates_are_similar_and_unrelated_prompts_are_not() -> None:
    base = (
        "You are a helpful assistant. Solve the following problem and show every step of your reasoning "
        "before giving the final answer. Problem: a train leaves the station at nine in the morning"
    )
    near = base.replace("nine in the morning", "ten in the morning")
    unrelated = "Write a haiku about the autumn rain falling on a quiet mountain temple at dusk, please"
    matrix = signature_matrix(minhash_signatures(pa.array([base, near, unrelated])))
    assert estimated_jaccard(matrix[0], matrix[1]) >= 0.6
    assert estimated_jaccard(matrix[0], matrix[2]) <= 0.2
    assert estimated_jaccard(matrix[0], matrix[0]) == 1.0


def test_normalization_ignores_case_and_punctuation() -> None:
    matrix = signature_matrix(
        minhash_signatures(pa.array(["Summarize THIS text, now!", "summarize this text now"]))
    )
    assert estimated_jaccard(matrix[0], matrix[1]) == 1.0


def test_null_and_wordless_texts_have_null_signatures() -> None:
    result = minhash_signatures(pa.array([None, "", "?!", "word"]))
    assert result.is_null().to_pylist() == [True, True, True, False]
    assert signature_matrix(result)[0].tolist() == [0] * SIGNATURE_SIZE


def test_chunking_does_not_change_signatures(monkeypatch: pytest.MonkeyPatch) -> None:
    texts = pa.array([f"prompt number {i} " * (i % 7 + 1) for i in range(300)] + [None])
    whole = minhash_signatures(texts)
    monkeypatch.setattr(signature, "_CHUNK_BYTES", 200)
    assert minhash_signatures(texts).equals(whole)
    assert minhash_signatures(pa.chunked_array([texts.slice(0, 100), texts.slice(100)])).equals(whole)


def test_signatures_are_identical_in_another_process() -> None:
    program = (
        "import pyarrow as pa, json; from distillgov.traffic.signature import minhash_signatures; "
        f"print(json.dumps(minhash_signatures(pa.array({TEXTS!r})).to_pylist()))"
    )
    environment = {**os.environ, "PYTHONHASHSEED": "123"}  # a different str hash seed must not matter
    out = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, check=True, env=environment
    )
    assert json.loads(out.stdout) == minhash_signatures(pa.array(TEXTS)).to_pylist()


def test_jaccard_of_matrices_is_row_by_row() -> None:
    a = np.arange(32, dtype=np.uint32).reshape(2, SIGNATURE_SIZE)
    b = a.copy()
    b[1, :8] += 1
    assert estimated_jaccard(a, b).tolist() == [1.0, 0.5]
