"""Provenance shared by every stage: which tool, which version, which inputs (by sha256).

Evidence is only as good as the record of what it was computed from, so every report the
system writes carries these blocks in the same shape.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from distillgov import __version__

_HASH_BLOCK = 1 << 20


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file's bytes as they lie on disk (compressed files are hashed compressed)."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(_HASH_BLOCK):
            digest.update(block)
    return digest.hexdigest()


def tool_block() -> dict[str, Any]:
    """The `tool` object of every JSON report."""
    return {"name": "distillgov", "version": __version__}
