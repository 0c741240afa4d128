"""Cross-check against Go's reference implementation (golang.org/x/mod/sumdb/note and sumdb/tlog).

The vectors in fixtures/go_vectors.json were written by go_reference/main.go (see its README); CI has
no Go, so the fixture carries the comparison. With Go and Debian's golang-golang-x-mod-dev installed,
the last test re-runs the program and requires the very same vectors.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from go_reference_input import ENTRY_COUNT, reference_entry, reference_log, write_input

from distillgov.registry.tlog import merkle
from distillgov.registry.tlog.checkpoint import open_checkpoint
from distillgov.registry.tlog.memory import MemoryLog
from distillgov.registry.tlog.note import open_note, parse_signer, sign_note
from distillgov.registry.tlog.tiles import Tile, read_tile, tiles_for_size

HERE = Path(__file__).parent
GO_PROGRAM = HERE / "go_reference"
GO_PATH = Path("/usr/share/gocode")
GO: dict[str, Any] = json.loads((HERE / "fixtures" / "go_vectors.json").read_text())


@pytest.fixture(scope="module")
def log() -> MemoryLog:
    return reference_log()


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _hashes(values: list[str]) -> list[bytes]:
    return [base64.b64decode(value) for value in values]


def test_same_entries_as_the_go_program(log: MemoryLog) -> None:
    assert GO["entry_count"] == ENTRY_COUNT == log.size
    assert hashlib.sha256(b"".join(log.entries)).hexdigest() == GO["entries_sha256"]


def test_stored_hashes_and_tree_hashes_match_go(log: MemoryLog) -> None:
    assert [_b64(h) for h in log.hashes] == GO["stored_hashes"]
    ours = [_b64(merkle.tree_hash(n, log.read_hashes)) for n in range(ENTRY_COUNT + 1)]
    assert ours[1:] == GO["tree_hashes"][1:]
    # The empty tree: Debian's x/mod 0.7.0 answers the zero hash, RFC 6962 section 2.1 (and later x/mod)
    # SHA-256 of the empty string, which is ours.
    assert ours[0] == _b64(merkle.EMPTY_ROOT)
    assert GO["tree_hashes"][0] in {_b64(bytes(32)), ours[0]}


def test_storage_layout_matches_go() -> None:
    for level, n, index in GO["stored_hash_indexes"]:
        assert merkle.stored_hash_index(level, n) == index
        assert merkle.split_stored_hash_index(index) == (level, n)
    for size, count in GO["stored_hash_counts"].items():
        assert merkle.stored_hash_count(int(size)) == count


def test_inclusion_proofs_match_go(log: MemoryLog) -> None:
    roots = _hashes(GO["tree_hashes"])
    for vector in GO["record_proofs"]:
        size, index, proof = vector["tree_size"], vector["other"], _hashes(vector["proof"])
        assert merkle.prove_record(size, index, log.read_hashes) == proof, (size, index)
        merkle.check_record(proof, size, roots[size], index, merkle.leaf_hash(reference_entry(index)))


def test_consistency_proofs_match_go(log: MemoryLog) -> None:
    roots = _hashes(GO["tree_hashes"])
    for vector in GO["tree_proofs"]:
        size, old, proof = vector["tree_size"], vector["other"], _hashes(vector["proof"])
        assert merkle.prove_tree(size, old, log.read_hashes) == proof, (size, old)
        merkle.check_tree(proof, size, roots[size], old, roots[old])


def test_tiles_match_go(log: MemoryLog) -> None:
    for size, vectors in GO["tiles"].items():
        tiles = tiles_for_size(int(size))
        assert [tile.path for tile in tiles] == [vector["path"] for vector in vectors]
        digests = [hashlib.sha256(read_tile(tile, log.read_hashes)).hexdigest() for tile in tiles]
        assert digests == [vector["sha256"] for vector in vectors]
    assert [tile.path for tile in tiles_for_size(70000)] == GO["tile_paths_70000"]
    for level, index, width, path in GO["tile_paths"]:
        assert Tile(level, index, width).path == path


def test_go_verified_the_log_we_write(log: MemoryLog, tmp_path: Path) -> None:
    """Go's TileHashReader proved every entry and every older tree from our folder; is it still ours?"""
    checked = GO["go_checked_distillgov_log"]
    assert checked["checkpoint_verified"] and checked["tree_matches_go_build"]
    assert checked["records_proved"] == checked["trees_proved"] == ENTRY_COUNT
    write_input(tmp_path)
    folder = tmp_path / "log"
    assert hashlib.sha256((folder / "checkpoint").read_bytes()).hexdigest() == checked["checkpoint_sha256"]
    for path, digest in checked["tiles_read_sha256"].items():
        assert hashlib.sha256((folder / path).read_bytes()).hexdigest() == digest, path
    assert checked["resigned_by_go"] == log.signed_checkpoint()  # Ed25519 is deterministic: same bytes


def test_we_verify_a_checkpoint_go_signed(log: MemoryLog) -> None:
    signed = GO["go_signed"]
    checkpoint = open_checkpoint(signed["checkpoint"], signed["vkey"])
    assert (checkpoint.size, checkpoint.root_hash) == (
        ENTRY_COUNT,
        merkle.tree_hash(ENTRY_COUNT, log.read_hashes),
    )
    signer = parse_signer(signed["skey"])
    assert signer.verifier.text == signed["vkey"]
    assert sign_note(checkpoint.text, signer) == signed["checkpoint"]
    assert open_note(signed["checkpoint"], [signed["vkey"]]).text == checkpoint.text


@pytest.mark.slow
@pytest.mark.skipif(
    shutil.which("go") is None or not (GO_PATH / "src/golang.org/x/mod/sumdb/tlog").is_dir(),
    reason="needs Go and Debian's x/mod (apt-get install golang-go golang-golang-x-mod-dev)",
)
def test_the_go_program_still_writes_these_vectors(tmp_path: Path) -> None:
    write_input(tmp_path / "input")
    environment = {**os.environ, "GO111MODULE": "off", "GOPATH": str(GO_PATH), "GOFLAGS": ""}
    environment.setdefault("GOCACHE", str(tmp_path / "go-cache"))
    result = subprocess.run(
        ["go", "run", "main.go", str(tmp_path / "input")],
        cwd=GO_PROGRAM,
        env=environment,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == GO
