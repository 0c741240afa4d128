"""The log distillgov writes for Go's reference implementation to check (go_reference/main.go).

Run as a script: `python tests/registry/tlog/go_reference_input.py DIR` writes DIR/log (a tlog-tiles
folder over the same entries the Go program builds) and DIR/skey (the fixed test signing key, so Go
can re-sign our checkpoint text and show Ed25519 signatures agree byte for byte).
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

from distillgov.registry.tlog.entries import canonical_entry
from distillgov.registry.tlog.memory import MemoryLog
from distillgov.registry.tlog.note import generate_signer

ENTRY_COUNT = 300
KEY_NAME = "distillgov.test/go-reference"
SEED = hashlib.sha256(b"distillgov python reference key").digest()


def reference_entry(index: int) -> bytes:
    """The entry Go's program writes as a literal string, here through canonical_entry."""
    return canonical_entry({"pad": "x" * (index % 13), "kind": "go-reference", "index": index})


def reference_log() -> MemoryLog:
    signer, _ = generate_signer(KEY_NAME, seed=SEED)
    log = MemoryLog(signer)
    for index in range(ENTRY_COUNT):
        log.append_entry(reference_entry(index))
    return log


def write_input(folder: Path) -> MemoryLog:
    log = reference_log()
    log.write_folder(folder / "log")
    (folder / "skey").write_text(log.signer.text + "\n")
    return log


if __name__ == "__main__":
    write_input(Path(sys.argv[1]))
