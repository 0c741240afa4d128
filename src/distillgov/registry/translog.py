"""The transparency log kept in the registry's own database, next to the decisions it records.

`append` runs inside the caller's write transaction, under the sequencer `Database.write` holds, so
an entry commits exactly when its decision does. The tree itself is the tlog library's: this module
only stores its stored hashes and entries as rows and reads them back for roots, tiles and proofs.

The log is public, but not everything a decision touches is (usage volumes, payments, trade-secret
records). Such details enter an entry as a salted sha256 commitment: anyone can check that the
entry exists, and a party entitled to the record can check that the record is the one logged.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from distillgov.registry.models import LogEntry, LogHash
from distillgov.registry.tlog.checkpoint import Checkpoint, sign_checkpoint
from distillgov.registry.tlog.entries import canonical_entry
from distillgov.registry.tlog.merkle import (
    ReadHashes,
    StorageError,
    stored_hash_index,
    stored_hashes_for_record,
    tree_hash,
)
from distillgov.registry.tlog.note import Signer
from distillgov.registry.tlog.tiles import TILE_HEIGHT, TILE_WIDTH, Tile, entry_bundle, read_tile

ENTRY_VERSION = 1


@dataclass(frozen=True)
class Appended:
    index: int
    kind: str
    subject: str


def decision(kind: str, subject: str, at: datetime, body: Mapping[str, Any]) -> dict[str, Any]:
    """The shape of every entry: what was decided, about which object, when, and its public content."""
    return {
        "v": ENTRY_VERSION,
        "kind": kind,
        "subject": subject,
        "at": at.isoformat().replace("+00:00", "Z"),
        "body": dict(body),
    }


def commitment(record: Mapping[str, Any], salt: str) -> str:
    """sha256 over the salted record as canonical JSON: binds a private record without revealing it."""
    return hashlib.sha256(canonical_entry({"salt": salt, "record": dict(record)})).hexdigest()


def new_salt() -> str:
    return secrets.token_hex(16)


def append(session: Session, kind: str, subject: str, at: datetime, body: Mapping[str, Any]) -> Appended:
    """Append one decision; the caller's transaction must hold the sequencer (`Database.write`)."""
    entry = canonical_entry(decision(kind, subject, at, body))
    index = tree_size(session)
    hashes = stored_hashes_for_record(index, entry, hash_reader(session))
    first = stored_hash_index(0, index)
    session.add_all(LogHash(idx=first + offset, hash=value) for offset, value in enumerate(hashes))
    session.add(LogEntry(idx=index, kind=kind, subject=subject, recorded_at=at, data=entry))
    session.flush()
    return Appended(index, kind, subject)


TREE_SIZE = sa.select(sa.func.max(LogEntry.idx))


def tree_size(session: Session | sa.Connection) -> int:
    last = session.scalar(TREE_SIZE)
    return 0 if last is None else int(last) + 1


def hash_reader(session: Session) -> ReadHashes:
    """`read_hashes` for the tlog library: one SELECT per call, answers in the order asked."""

    def read_hashes(indexes: Sequence[int]) -> list[bytes]:
        if not indexes:
            return []
        rows = session.execute(sa.select(LogHash.idx, LogHash.hash).where(LogHash.idx.in_(set(indexes))))
        found = {int(idx): bytes(value) for idx, value in rows}
        missing = [i for i in indexes if i not in found]
        if missing:
            raise StorageError(f"stored hashes {missing[:5]} are missing from log_hashes")
        return [found[i] for i in indexes]

    return read_hashes


def checkpoint(session: Session, origin: str, size: int | None = None) -> Checkpoint:
    size = tree_size(session) if size is None else size
    return Checkpoint(origin, size, tree_hash(size, hash_reader(session)))


def signed_checkpoint(session: Session, signer: Signer) -> tuple[int, str]:
    """The current tree head, signed (Ed25519 is deterministic: the same size gives the same bytes)."""
    head = checkpoint(session, signer.name)
    return head.size, sign_checkpoint(head, signer)


def tile_available(tile: Tile, size: int) -> bool:
    """Whether the tree of `size` entries already holds every hash (or entry) the tile names."""
    available = size if tile.is_entry_bundle else size >> (TILE_HEIGHT * tile.level)
    return tile.index * TILE_WIDTH + tile.width <= available


def tile_data(session: Session, tile: Tile) -> bytes:
    """A hash tile or an entry bundle; the caller checks `tile_available` first."""
    if not tile.is_entry_bundle:
        return read_tile(tile, hash_reader(session))
    first = tile.index * TILE_WIDTH
    rows = session.scalars(
        sa.select(LogEntry.data)
        .where(LogEntry.idx >= first, LogEntry.idx < first + tile.width)
        .order_by(LogEntry.idx)
    )
    return entry_bundle([bytes(row) for row in rows])


def history(session: Session, subject: str) -> list[dict[str, Any]]:
    """Every logged decision about one object, oldest first, with its log index."""
    rows = session.scalars(sa.select(LogEntry).where(LogEntry.subject == subject).order_by(LogEntry.idx))
    return [{"log_index": row.idx, **json.loads(row.data)} for row in rows]
