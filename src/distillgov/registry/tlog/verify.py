"""The offline verifier: trust only the log's key, check everything else a log serves.

Tiles are authenticated before use the way a tlog-tiles client must: the partial tiles on the right
edge of the tree must hash to the root in the signed checkpoint, and every full tile must hash to
its slot in the (already authenticated) tile one level up. Proofs are then computed from those
hashes and checked with RFC 9162's algorithms against the signed root.

Each kind of failure has its own exception, so a caller (or the CLI's exit code) can tell a forged
signature from a rewritten entry, a corrupted tile, or a log that went back on what it signed.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from distillgov.provenance import tool_block
from distillgov.registry.tlog.checkpoint import Checkpoint, CheckpointFormatError, open_checkpoint
from distillgov.registry.tlog.entries import EntryError, canonical_entry
from distillgov.registry.tlog.merkle import (
    EMPTY_ROOT,
    ProofError,
    check_record,
    check_tree,
    leaf_hash,
    prove_record,
    prove_tree,
    split_stored_hash_index,
    tree_hash,
)
from distillgov.registry.tlog.note import (
    InvalidSignatureError,
    KeyFormatError,
    MalformedNoteError,
    UnverifiedNoteError,
    Verifier,
    parse_verifier,
)
from distillgov.registry.tlog.source import (
    LogSource,
    MissingResourceError,
    SourceError,
    open_source,
    write_resource,
)
from distillgov.registry.tlog.tiles import (
    ENTRIES_LEVEL,
    TILE_WIDTH,
    BundleError,
    Tile,
    bundles_for_size,
    locate_hash,
    parse_entry_bundle,
    split_tile,
    subtree_root,
    tile_width_at,
    tiles_for_size,
)

Progress = Callable[[int, int], None]
"""Called with (resources done, resources in all) during long reads."""


class VerificationError(Exception):
    """The log failed a check (exit status 1): what it serves is not what it signed."""


class BadSignatureError(VerificationError):
    """A checkpoint not signed by the trusted key, or with a signature that does not verify."""


class MalformedLogError(VerificationError):
    """The log serves bytes that are not a checkpoint, tile or entry bundle at all."""


class TileHashMismatchError(VerificationError):
    """A tile that does not hash to the signed root or to its slot in the tile above."""


class EntryMismatchError(VerificationError):
    """An entry that is not the one the tree commits to at that index (or not in the log)."""


class RollbackError(VerificationError):
    """The log's current tree is smaller than one it signed before."""


class InconsistentTreeError(VerificationError):
    """The log's current tree does not extend one it signed before: history was rewritten (a fork)."""


class BadInputError(Exception):
    """The verification could not run (exit status 2): a bad key or file, or an unreadable log."""


@dataclass(frozen=True)
class Report:
    """What was verified, from where, against which key; `checks` says each check in words."""

    kind: str
    source: str
    key: str
    checkpoint: Checkpoint
    checks: list[str]
    details: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "verified": self.kind,
            "ok": True,
            "source": self.source,
            "vkey": self.key,
            "checkpoint": {
                "origin": self.checkpoint.origin,
                "size": self.checkpoint.size,
                "root_hash": self.checkpoint.root_base64,
            },
            "checks": self.checks,
            **self.details,
            "tool": tool_block(),
        }


class TileReader:
    """Hashes of one signed tree, read from a source's tiles and authenticated before use."""

    def __init__(self, source: LogSource, checkpoint: Checkpoint) -> None:
        self.source = source
        self.checkpoint = checkpoint
        self._trusted: dict[Tile, list[bytes]] = {}
        self._edge_checked = False

    @property
    def tiles_checked(self) -> int:
        return len(self._trusted)

    def read_hashes(self, indexes: Sequence[int]) -> list[bytes]:
        """The `merkle.ReadHashes` of this tree: every hash returned is proven to be in it."""
        hashes = []
        for index in indexes:
            level, n = split_stored_hash_index(index)
            try:
                tile, start, end = locate_hash(level, n, self.checkpoint.size)
            except ValueError as exc:
                raise EntryMismatchError(f"storage index {index}: {exc}") from None
            hashes.append(subtree_root(self.tile(tile)[start:end]))
        return hashes

    def tile(self, tile: Tile) -> list[bytes]:
        """The hashes of `tile`, authenticated against the checkpoint."""
        if tile not in self._trusted:
            if tile.is_full:
                self._authenticate_full(tile)
            else:
                self.check_root()
        return self._trusted[tile]

    def check_root(self) -> None:
        """The partial tiles on the right edge are trusted when together they hash to the signed root."""
        if self._edge_checked:
            return
        size = self.checkpoint.size
        edge = {tile: self._fetch(tile) for tile in tiles_for_size(size) if not tile.is_full}

        def read_edge(indexes: Sequence[int]) -> list[bytes]:
            spans = [locate_hash(*split_stored_hash_index(index), size) for index in indexes]
            return [subtree_root(edge[tile][start:end]) for tile, start, end in spans]

        if tree_hash(size, read_edge) != self.checkpoint.root_hash:
            paths = ", ".join(tile.path for tile in edge) or "(no tiles: empty tree)"
            raise TileHashMismatchError(
                f"the right-edge tiles {paths} of {self.source.description} do not hash to the signed root "
                f"{self.checkpoint.root_base64} of size {size}"
            )
        self._trusted.update(edge)
        self._edge_checked = True

    def _authenticate_full(self, tile: Tile) -> None:
        hashes = self._fetch(tile)
        parent_index, slot = divmod(tile.index, TILE_WIDTH)
        parent_level = tile.level + 1
        parent = Tile(
            parent_level, parent_index, tile_width_at(parent_level, parent_index, self.checkpoint.size)
        )
        if subtree_root(hashes) != self.tile(parent)[slot]:
            raise TileHashMismatchError(
                f"{self.source.description}/{tile.path} does not hash to slot {slot} of {parent.path}: "
                "the tile was altered"
            )
        self._trusted[tile] = hashes

    def _fetch(self, tile: Tile) -> list[bytes]:
        data, served = _read_with_fallback(self.source, tile)
        try:
            return split_tile(data, served)[: tile.width]
        except ValueError as exc:
            raise TileHashMismatchError(f"{self.source.description}: {exc}") from None


def verify_checkpoint(
    source: str | Path | LogSource,
    vkey: str | Verifier,
    *,
    audit: bool = False,
    progress: Progress | None = None,
) -> Report:
    """Check the checkpoint's signature and that the tiles reproduce its root.

    With `audit`, every tile and every entry bundle of the tree is fetched and checked too, as a
    monitor would: nothing the log serves for this tree is left unverified.
    """
    log, key, reader = _open(source, vkey)
    checkpoint = reader.checkpoint
    reader.check_root()
    checks = [
        f"checkpoint signed by {key.name}+{key.key_id:08x} (Ed25519)",
        f"right-edge tiles hash to the signed root of size {checkpoint.size}",
    ]
    details: dict[str, Any] = {}
    if audit:
        entries = _audit(log, reader, progress)
        checks.append(f"all {reader.tiles_checked} tiles authenticated up to the signed root")
        checks.append(f"all {entries} entries in the bundles hash to the leaves of the tree")
        details = {"tiles_checked": reader.tiles_checked, "entries_checked": entries}
    return Report("checkpoint", log.description, key.text, checkpoint, checks, details)


def verify_inclusion(
    source: str | Path | LogSource,
    vkey: str | Verifier,
    index: int,
    entry: bytes | Mapping[str, Any] | None = None,
) -> Report:
    """Check that entry `index` is in the signed tree, and (when given) that it is `entry`.

    `entry` is the exact entry bytes, or a decision that is canonicalized (RFC 8785) first. Either
    way the entry the log serves at `index` must be the same one its tree commits to.
    """
    log, key, reader = _open(source, vkey)
    checkpoint = reader.checkpoint
    if not 0 <= index < checkpoint.size:
        raise EntryMismatchError(f"the log has {checkpoint.size} entries; there is no entry {index}")
    expected = _entry_bytes(entry)
    served = _served_entry(log, index, checkpoint.size)
    proof = prove_record(checkpoint.size, index, reader.read_hashes)
    claimed = served if expected is None else expected
    try:
        check_record(proof, checkpoint.size, checkpoint.root_hash, index, leaf_hash(claimed))
    except ProofError as exc:
        what = "the log's own entry" if expected is None else "the given entry"
        raise EntryMismatchError(f"{what} at index {index} is not in the signed tree: {exc}") from None
    if served != claimed:
        raise EntryMismatchError(
            f"the log serves a different entry at index {index} than the one its signed tree commits to"
        )
    checks = [
        f"checkpoint signed by {key.name}+{key.key_id:08x} (Ed25519)",
        f"inclusion proof of entry {index} ({len(proof)} hashes) checks against the signed root",
        f"entry bundle serves the same entry at index {index}",
    ]
    if expected is not None:
        checks.append("the given entry is byte for byte the logged entry")
    details = {
        "index": index,
        "leaf_hash": _b64(leaf_hash(claimed)),
        "inclusion_proof": [_b64(h) for h in proof],
        "entry": _entry_json(served),
    }
    return Report("inclusion", log.description, key.text, checkpoint, checks, details)


def verify_consistency(
    source: str | Path | LogSource, vkey: str | Verifier, old_checkpoint: str | bytes
) -> Report:
    """Check that the log's current tree extends `old_checkpoint` (a checkpoint it signed earlier)."""
    log, key, reader = _open(source, vkey)
    new = reader.checkpoint
    old = _open_checkpoint(old_checkpoint, key, "the old checkpoint")
    if new.size < old.size:
        raise RollbackError(
            f"the log's tree has {new.size} entries, fewer than the {old.size} of the older checkpoint: "
            "it was rolled back"
        )
    proof: list[bytes] = []
    if old.size == 0:
        if old.root_hash != EMPTY_ROOT:
            raise InconsistentTreeError("the old checkpoint claims an empty tree with a non-empty root")
    else:
        if new.size > old.size:
            proof = prove_tree(new.size, old.size, reader.read_hashes)
        try:
            check_tree(proof, new.size, new.root_hash, old.size, old.root_hash)
        except ProofError as exc:
            raise InconsistentTreeError(f"history rewritten: {exc}") from None
    checks = [
        f"both checkpoints signed by {key.name}+{key.key_id:08x} (Ed25519)",
        f"consistency proof {old.size} -> {new.size} ({len(proof)} hashes) checks against both signed roots",
    ]
    details = {
        "old_checkpoint": {"size": old.size, "root_hash": old.root_base64},
        "consistency_proof": [_b64(h) for h in proof],
    }
    return Report("consistency", log.description, key.text, new, checks, details)


def save_log(
    url: str | LogSource, folder: Path, vkey: str | Verifier | None = None, progress: Progress | None = None
) -> Report:
    """Mirror a log (checkpoint, vkey, every tile and entry bundle) into `folder` for offline use.

    What is written is exactly the bytes that were verified (each resource is read once), so a log
    that answers differently on a second read cannot slip anything into the copy. Without `vkey` the
    key the log serves is used, and the report says so: that only proves the copy is self-consistent,
    not whose log it is. A folder that already holds a copy is only replaced by a tree consistent with it.
    """
    log = _RecordingSource(_source(url))
    key = _verifier(_read(log, "vkey").decode("utf-8", "replace").strip() if vkey is None else vkey)
    report = verify_checkpoint(log, key, audit=True, progress=progress)
    if (folder / "checkpoint").is_file():
        verify_consistency(log, key, (folder / "checkpoint").read_bytes())
    resources = {path: data for path, data in log.recorded.items() if path not in ("checkpoint", "vkey")}
    for path, data in resources.items():
        write_resource(folder, path, data)
    write_resource(folder, "vkey", f"{key.text}\n".encode())
    write_resource(folder, "checkpoint", log.recorded["checkpoint"])
    verify_checkpoint(folder, key, audit=True)
    checks = [
        *report.checks,
        f"saved the {len(resources)} verified tiles and bundles to {folder}, re-verified the copy",
    ]
    if vkey is None:
        checks.append("key taken from the log's own /vkey: compare it with the key published out of band")
    return Report("save", log.description, key.text, report.checkpoint, checks, {"folder": str(folder)})


class _RecordingSource:
    """Reads each resource once and keeps it, so that what is saved is what was verified."""

    def __init__(self, source: LogSource) -> None:
        self.source = source
        self.recorded: dict[str, bytes] = {}

    @property
    def description(self) -> str:
        return self.source.description

    def read(self, path: str) -> bytes:
        if path not in self.recorded:
            self.recorded[path] = self.source.read(path)
        return self.recorded[path]


def _source(source: str | Path | LogSource) -> LogSource:
    try:
        return open_source(source)
    except SourceError as exc:
        raise BadInputError(str(exc)) from None


def _open(source: str | Path | LogSource, vkey: str | Verifier) -> tuple[LogSource, Verifier, TileReader]:
    key = _verifier(vkey)
    log = _source(source)
    checkpoint = _open_checkpoint(_read(log, "checkpoint"), key, f"the checkpoint of {log.description}")
    return log, key, TileReader(log, checkpoint)


def _verifier(vkey: str | Verifier) -> Verifier:
    if isinstance(vkey, Verifier):
        return vkey
    try:
        return parse_verifier(vkey)
    except KeyFormatError as exc:
        raise BadInputError(f"--vkey: {exc}") from None


def _open_checkpoint(signed: str | bytes, key: Verifier, what: str) -> Checkpoint:
    try:
        return open_checkpoint(signed, key)
    except (InvalidSignatureError, UnverifiedNoteError) as exc:
        raise BadSignatureError(f"{what}: {exc}") from None
    except (MalformedNoteError, CheckpointFormatError) as exc:
        raise MalformedLogError(f"{what}: {exc}") from None


def _read(log: LogSource, path: str) -> bytes:
    try:
        return log.read(path)
    except SourceError as exc:
        raise BadInputError(str(exc)) from None


def _read_with_fallback(log: LogSource, tile: Tile) -> tuple[bytes, Tile]:
    """A partial tile, or the full tile it is a prefix of once the log has grown past it (tlog-tiles)."""
    try:
        return log.read(tile.path), tile
    except MissingResourceError:
        if tile.is_full:
            raise BadInputError(f"{log.description}/{tile.path} is missing") from None
    except SourceError as exc:
        raise BadInputError(str(exc)) from None
    return _read(log, tile.full().path), tile.full()


def _served_entry(log: LogSource, index: int, size: int) -> bytes:
    bundle_index, position = divmod(index, TILE_WIDTH)
    return _bundle(log, Tile(ENTRIES_LEVEL, bundle_index, tile_width_at(0, bundle_index, size)))[position]


def _bundle(log: LogSource, bundle: Tile) -> list[bytes]:
    data, served = _read_with_fallback(log, bundle)
    try:
        entries = parse_entry_bundle(data)
    except BundleError as exc:
        raise MalformedLogError(f"{log.description}/{served.path}: {exc}") from None
    if len(entries) != served.width:
        raise EntryMismatchError(
            f"{log.description}/{served.path} holds {len(entries)} entries, not {served.width}"
        )
    return entries[: bundle.width]


def _audit(log: LogSource, reader: TileReader, progress: Progress | None) -> int:
    size = reader.checkpoint.size
    tiles = tiles_for_size(size)
    bundles = bundles_for_size(size)
    total = len(tiles) + len(bundles)
    for done, tile in enumerate(reversed(tiles), start=1):  # top levels first: parents before children
        reader.tile(tile)
        if progress:
            progress(done, total)
    for done, bundle in enumerate(bundles, start=len(tiles) + 1):
        leaves = reader.tile(Tile(0, bundle.index, bundle.width))
        for position, entry in enumerate(_bundle(log, bundle)):
            if leaf_hash(entry) != leaves[position]:
                raise EntryMismatchError(
                    f"entry {bundle.index * TILE_WIDTH + position} in {log.description}/{bundle.path} does "
                    "not hash to its leaf in the signed tree: the entry was altered"
                )
        if progress:
            progress(done, total)
    return size


def _entry_bytes(entry: bytes | Mapping[str, Any] | None) -> bytes | None:
    if entry is None or isinstance(entry, bytes):
        return entry
    try:
        return canonical_entry(entry)
    except EntryError as exc:
        raise BadInputError(f"decision: {exc}") from None


def _entry_json(entry: bytes) -> Any:
    """The logged decision, decoded for display; raw base64 if the log holds something else."""
    try:
        return json.loads(entry)
    except ValueError:
        return {"base64": _b64(entry)}


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()
