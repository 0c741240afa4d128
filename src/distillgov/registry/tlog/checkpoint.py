"""C2SP tlog-checkpoint: the signed statement "the log named origin has this size and this root"."""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Sequence
from dataclasses import dataclass

from distillgov.registry.tlog.merkle import HASH_SIZE
from distillgov.registry.tlog.note import Signer, Verifier, open_note, parse_verifier, sign_note

_TREE_SIZE = re.compile(r"0|[1-9][0-9]*")


class CheckpointFormatError(ValueError):
    """Note text that is not a checkpoint, or a checkpoint of another log."""


@dataclass(frozen=True)
class Checkpoint:
    """A tree head: which log (origin), how many entries, and the Merkle root over them."""

    origin: str
    size: int
    root_hash: bytes
    extensions: tuple[str, ...] = ()

    @property
    def text(self) -> str:
        return format_checkpoint(self.origin, self.size, self.root_hash, self.extensions)

    @property
    def root_base64(self) -> str:
        return base64.b64encode(self.root_hash).decode()


def format_checkpoint(origin: str, size: int, root: bytes, extensions: Sequence[str] = ()) -> str:
    """The checkpoint note text: origin, decimal size, base64 root, then any extension lines."""
    if not origin or "\n" in origin:
        raise CheckpointFormatError("checkpoint origin must be one non-empty line")
    if size < 0:
        raise CheckpointFormatError(f"tree size must be >= 0, got {size}")
    if len(root) != HASH_SIZE:
        raise CheckpointFormatError(f"root hash must be {HASH_SIZE} bytes, got {len(root)}")
    for extension in extensions:
        if not extension or "\n" in extension:
            raise CheckpointFormatError(f"extension line {extension!r} must be one non-empty line")
    lines = [origin, str(size), base64.b64encode(root).decode(), *extensions]
    return "".join(f"{line}\n" for line in lines)


def parse_checkpoint(text: str) -> Checkpoint:
    """The checkpoint in a note's text (verify the note first: unsigned text means nothing)."""
    if not text.endswith("\n"):
        raise CheckpointFormatError("checkpoint text must end with a newline")
    lines = text[:-1].split("\n")
    if len(lines) < 3:
        raise CheckpointFormatError(f"a checkpoint has origin, size and root lines; got {len(lines)} line(s)")
    origin, size_text, root_text, *extensions = lines
    if not origin:
        raise CheckpointFormatError("checkpoint origin line is empty")
    if not _TREE_SIZE.fullmatch(size_text):
        raise CheckpointFormatError(f"checkpoint size {size_text!r} is not a decimal without leading zeros")
    try:
        root = base64.b64decode(root_text, validate=True)
    except binascii.Error:
        raise CheckpointFormatError(f"checkpoint root {root_text!r} is not base64") from None
    if len(root) != HASH_SIZE:
        raise CheckpointFormatError(f"checkpoint root is {len(root)} bytes, not {HASH_SIZE}")
    if any(not line for line in extensions):
        raise CheckpointFormatError("checkpoint extension lines must be non-empty")
    return Checkpoint(origin, int(size_text), root, tuple(extensions))


def sign_checkpoint(checkpoint: Checkpoint, signer: Signer | str) -> str:
    """The signed checkpoint note a log serves at `<prefix>/checkpoint`."""
    return sign_note(checkpoint.text, signer)


def open_checkpoint(signed: str | bytes, verifier: Verifier | str, origin: str | None = None) -> Checkpoint:
    """Verify a signed checkpoint with the log's key and parse it.

    The origin must be `origin`, or the key's name when none is given (C2SP: the log's key name
    should match its origin), so that a checkpoint of another log signed by the same key is refused.
    """
    key = parse_verifier(verifier) if isinstance(verifier, str) else verifier
    checkpoint = parse_checkpoint(open_note(signed, [key]).text)
    expected = key.name if origin is None else origin
    if checkpoint.origin != expected:
        raise CheckpointFormatError(f"checkpoint is for log {checkpoint.origin!r}, not {expected!r}")
    return checkpoint
