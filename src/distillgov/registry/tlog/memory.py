"""A whole log in memory: the reference a storage-backed log can be compared with, byte for byte.

It stores hashes exactly as a database would (append-only, by storage index) and serves the same
tlog-tiles resources, so tests of the registry service can check its responses against it and tests
of the verifier can read it directly or from the folder it writes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from distillgov.registry.tlog.checkpoint import Checkpoint, sign_checkpoint
from distillgov.registry.tlog.entries import canonical_entry
from distillgov.registry.tlog.merkle import stored_hash_index, stored_hashes_for_record, tree_hash
from distillgov.registry.tlog.note import Signer, parse_signer
from distillgov.registry.tlog.source import MissingResourceError, write_resource
from distillgov.registry.tlog.tiles import (
    TILE_WIDTH,
    Tile,
    TilePathError,
    bundles_for_size,
    entry_bundle,
    parse_tile_path,
    read_tile,
    tile_width_at,
    tiles_for_size,
)


class MemoryLog:
    """An append-only log signed by `signer`, named `origin` (the key's name unless given)."""

    def __init__(self, signer: Signer | str, origin: str | None = None) -> None:
        self.signer = parse_signer(signer) if isinstance(signer, str) else signer
        self.origin = self.signer.name if origin is None else origin
        self.entries: list[bytes] = []
        self.hashes: list[bytes] = []

    @property
    def size(self) -> int:
        return len(self.entries)

    @property
    def vkey(self) -> str:
        return self.signer.verifier.text

    @property
    def description(self) -> str:
        return f"memory log {self.origin} ({self.size} entries)"

    def append(self, decision: Mapping[str, Any]) -> int:
        """Append a decision as canonical JSON; returns its index."""
        return self.append_entry(canonical_entry(decision))

    def append_entry(self, entry: bytes) -> int:
        index = self.size
        if len(self.hashes) != stored_hash_index(0, index):
            raise RuntimeError(f"stored hashes ({len(self.hashes)}) out of step with {index} entries")
        self.hashes.extend(stored_hashes_for_record(index, entry, self.read_hashes))
        self.entries.append(entry)
        return index

    def read_hashes(self, indexes: Sequence[int]) -> list[bytes]:
        return [self.hashes[index] for index in indexes]

    def checkpoint(self, size: int | None = None) -> Checkpoint:
        """The tree head at `size` (default: now)."""
        size = self.size if size is None else size
        if not 0 <= size <= self.size:
            raise ValueError(f"the log has {self.size} entries; no tree of size {size}")
        return Checkpoint(self.origin, size, tree_hash(size, self.read_hashes))

    def signed_checkpoint(self, size: int | None = None) -> str:
        return sign_checkpoint(self.checkpoint(size), self.signer)

    def read(self, path: str) -> bytes:
        """The resource at `path` under the log prefix, as a tlog-tiles server serves it."""
        if path == "checkpoint":
            return self.signed_checkpoint().encode()
        if path == "vkey":
            return f"{self.vkey}\n".encode()
        try:
            tile = parse_tile_path(path)
        except TilePathError as exc:
            raise MissingResourceError(f"{path}: {exc}") from None
        if tile.width > tile_width_at(tile.level, tile.index, self.size):
            raise MissingResourceError(f"{path} is beyond the log's {self.size} entries")
        if tile.is_entry_bundle:
            first = tile.index * TILE_WIDTH
            return entry_bundle(self.entries[first : first + tile.width])
        return read_tile(tile, self.read_hashes)

    def write_folder(self, folder: Path) -> list[Path]:
        """Write checkpoint, vkey, every tile and entry bundle under `folder` as a static log."""
        written = []
        for path in ["vkey", *(tile.path for tile in self._published_tiles()), "checkpoint"]:
            written.append(write_resource(folder, path, self.read(path)))
        return written

    def _published_tiles(self) -> list[Tile]:
        return [*tiles_for_size(self.size), *bundles_for_size(self.size)]
