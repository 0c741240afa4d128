"""C2SP signed notes with Ed25519 keys, in the key formats of Go's `sumdb/note`.

Keys travel as text so that an operator can paste them into a config and a witness or a Go verifier
can use the same strings: signer `PRIVATE+KEY+<name>+<hex key id>+base64(0x01 || seed)`, verifier
`<name>+<hex key id>+base64(0x01 || public key)`, with key id = SHA-256(name || "\\n" || 0x01 || key)[:4].
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
from collections.abc import Sequence
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

ED25519 = 0x01
"""Signature type byte of Ed25519 in C2SP signed-note."""
MAX_SIGNATURES = 100
"""Signature lines read at most, as Go does: the spec asks verifiers to bound the work a note costs."""
_SIGNATURE_PREFIX = "\u2014 "  # em dash, space


class NoteError(ValueError):
    """Base of every note failure."""


class KeyFormatError(NoteError):
    """A signer or verifier key string that is not in note key format."""


class MalformedNoteError(NoteError):
    """Bytes that are not a signed note at all."""


class InvalidSignatureError(NoteError):
    """A signature by a trusted key that does not verify: the note was altered or forged."""


class UnverifiedNoteError(NoteError):
    """A well-formed note that no trusted key signed."""


@dataclass(frozen=True)
class Verifier:
    """A trusted public key: the name and key id it signs under, and the Ed25519 key."""

    name: str
    key_id: int
    public_key: bytes

    @property
    def text(self) -> str:
        encoded = base64.b64encode(bytes([ED25519]) + self.public_key).decode()
        return f"{self.name}+{self.key_id:08x}+{encoded}"

    def verify(self, message: bytes, signature: bytes) -> bool:
        try:
            Ed25519PublicKey.from_public_bytes(self.public_key).verify(signature, message)
        except InvalidSignature:
            return False
        return True


@dataclass(frozen=True)
class Signer:
    """A private key with its name and key id; `text` is secret."""

    name: str
    key_id: int
    seed: bytes

    @property
    def text(self) -> str:
        encoded = base64.b64encode(bytes([ED25519]) + self.seed).decode()
        return f"PRIVATE+KEY+{self.name}+{self.key_id:08x}+{encoded}"

    @property
    def verifier(self) -> Verifier:
        return Verifier(self.name, self.key_id, _public_key(self.seed))

    def sign(self, message: bytes) -> bytes:
        return Ed25519PrivateKey.from_private_bytes(self.seed).sign(message)


@dataclass(frozen=True)
class Signature:
    """One signature line of a note."""

    name: str
    key_id: int
    base64: str


@dataclass(frozen=True)
class Note:
    """An opened note: its text and which signatures on it were verified."""

    text: str
    signatures: tuple[Signature, ...]
    unverified: tuple[Signature, ...]


def key_id(name: str, public_key: bytes) -> int:
    """C2SP signed-note key id of an Ed25519 key: the first 4 bytes of SHA-256(name, 0x0A, 0x01, key)."""
    digest = hashlib.sha256(name.encode() + b"\n" + bytes([ED25519]) + public_key).digest()
    return int.from_bytes(digest[:4], "big")


def generate_signer(name: str, seed: bytes | None = None) -> tuple[str, str]:
    """A new (signer key text, verifier key text) pair for `name`; `seed` (32 bytes) only for fixtures."""
    _check_name(name)
    seed = os.urandom(32) if seed is None else seed
    if len(seed) != 32:
        raise KeyFormatError(f"an Ed25519 seed is 32 bytes, got {len(seed)}")
    signer = Signer(name, key_id(name, _public_key(seed)), seed)
    return signer.text, signer.verifier.text


def parse_signer(text: str) -> Signer:
    """A signer from `PRIVATE+KEY+<name>+<hex id>+<base64>`, checking the id against the derived key."""
    fields = text.strip().split("+", 4)  # base64 may itself contain '+'
    if len(fields) != 5 or fields[:2] != ["PRIVATE", "KEY"]:
        raise KeyFormatError("a signer key reads PRIVATE+KEY+<name>+<8 hex digits>+<base64 key>")
    name, key_id_hex, encoded = fields[2:]
    declared_id = _parse_key_id(key_id_hex, "signer")
    seed = _parse_key_material(encoded, "signer")
    _check_name(name)
    signer = Signer(name, key_id(name, _public_key(seed)), seed)
    if signer.key_id != declared_id:
        raise KeyFormatError(
            f"signer key for {name} declares id {key_id_hex} but its key has id {signer.key_id:08x}"
        )
    return signer


def parse_verifier(text: str) -> Verifier:
    """A verifier from `<name>+<hex id>+<base64>`, checking the id against the key."""
    fields = text.strip().split("+", 2)
    if len(fields) != 3:
        raise KeyFormatError("a verifier key reads <name>+<8 hex digits>+<base64 of 0x01 and the public key>")
    name, key_id_hex, encoded = fields
    declared_id = _parse_key_id(key_id_hex, "verifier")
    public_key = _parse_key_material(encoded, "verifier")
    _check_name(name)
    if key_id(name, public_key) != declared_id:
        raise KeyFormatError(f"verifier key for {name} declares id {key_id_hex}, which is not its key's id")
    return Verifier(name, declared_id, public_key)


def sign_note(text: str, signer: Signer | str) -> str:
    """`text` (which must end in a newline) followed by a blank line and the signer's signature line."""
    key = parse_signer(signer) if isinstance(signer, str) else signer
    if not text.endswith("\n"):
        raise MalformedNoteError("note text must end with a newline")
    _check_characters(text)
    signature = key.key_id.to_bytes(4, "big") + key.sign(text.encode())
    return f"{text}\n{_SIGNATURE_PREFIX}{key.name} {base64.b64encode(signature).decode()}\n"


def open_note(signed: str | bytes, verifiers: Sequence[Verifier | str]) -> Note:
    """Verify `signed` against the trusted `verifiers` and return its text.

    As the spec requires: signatures by unknown keys are set aside, a known key's bad signature
    rejects the whole note, and a note with no good signature by a known key is rejected.
    """
    raw = signed.encode() if isinstance(signed, str) else signed
    try:
        message = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise MalformedNoteError(f"note is not valid UTF-8 (byte {exc.start})") from None
    _check_characters(message)
    known: dict[tuple[str, int], Verifier] = {}
    for verifier in verifiers:
        parsed = parse_verifier(verifier) if isinstance(verifier, str) else verifier
        known[(parsed.name, parsed.key_id)] = parsed
    split = message.rfind("\n\n")
    if split < 0 or not message.endswith("\n") or split + 2 == len(message):
        raise MalformedNoteError(
            "a signed note is text, a blank line, then signature lines ending in newline"
        )
    text = message[: split + 1]
    lines = message[split + 2 : -1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise MalformedNoteError(f"note has {len(lines)} signature lines; at most {MAX_SIGNATURES} are read")
    verified: dict[tuple[str, int], Signature] = {}
    unverified: dict[str, Signature] = {}
    for line in lines:
        signature, raw_signature = _parse_signature_line(line)
        key = known.get((signature.name, signature.key_id))
        if key is None:
            unverified.setdefault(line, signature)
        elif (key.name, key.key_id) not in verified:
            if not key.verify(text.encode(), raw_signature):
                raise InvalidSignatureError(
                    f"signature by trusted key {key.name}+{key.key_id:08x} does not verify: the note was "
                    "altered or not signed by that key"
                )
            verified[(key.name, key.key_id)] = signature
    if not verified:
        seen = ", ".join(f"{s.name}+{s.key_id:08x}" for s in unverified.values())
        trusted = ", ".join(f"{name}+{kid:08x}" for name, kid in known) or "none"
        raise UnverifiedNoteError(f"no signature by a trusted key (trusted: {trusted}; signed by: {seen})")
    return Note(text, tuple(verified.values()), tuple(unverified.values()))


def _parse_signature_line(line: str) -> tuple[Signature, bytes]:
    if not line.startswith(_SIGNATURE_PREFIX):
        raise MalformedNoteError(f"signature line {line[:40]!r} does not start with an em dash and a space")
    name, _, encoded = line[len(_SIGNATURE_PREFIX) :].partition(" ")
    try:
        raw = base64.b64decode(encoded, validate=True)
    except binascii.Error:
        raise MalformedNoteError(f"signature by {name!r} is not base64") from None
    if not _is_valid_name(name) or len(raw) < 5:
        raise MalformedNoteError(f"signature line {line[:40]!r} has a bad key name or a signature too short")
    return Signature(name, int.from_bytes(raw[:4], "big"), encoded), raw[4:]


def _check_characters(message: str) -> None:
    for position, char in enumerate(message):
        if char < " " and char != "\n":
            raise MalformedNoteError(f"note has control character {ord(char):#04x} at position {position}")


def _is_valid_name(name: str) -> bool:
    """Go's rule: non-empty, no '+', no Unicode space (str.isspace covers the Zs category and more)."""
    return bool(name) and "+" not in name and not any(char.isspace() for char in name)


def _check_name(name: str) -> None:
    if not _is_valid_name(name):
        raise KeyFormatError(f"key name {name!r} must be non-empty, without spaces or '+'")


def _parse_key_id(text: str, kind: str) -> int:
    if len(text) != 8 or any(char not in "0123456789abcdefABCDEF" for char in text):
        raise KeyFormatError(f"{kind} key id {text!r} is not 8 hex digits")
    return int(text, 16)


def _parse_key_material(encoded: str, kind: str) -> bytes:
    try:
        material = base64.b64decode(encoded, validate=True)
    except binascii.Error:
        raise KeyFormatError(f"{kind} key material is not base64") from None
    if len(material) != 33 or material[0] != ED25519:
        raise KeyFormatError(f"{kind} key is not an Ed25519 key (type byte 0x01 and 32 key bytes)")
    return material[1:]


def _public_key(seed: bytes) -> bytes:
    return (
        Ed25519PrivateKey.from_private_bytes(seed).public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    )
