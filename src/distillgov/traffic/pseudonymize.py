"""Keyed pseudonyms for identifiers, so that analysis can run without raw account data.

Every field the schema marks `pseudonymized` is replaced by HMAC-SHA256 under a secret key,
with a separate derived key per field (domain separation): the same account id always maps to
the same pseudonym, so linkage and counting still work, but an `account_id` pseudonym can
never be matched against an `api_key_id` pseudonym of the same string, and without the key
nobody can test a guessed identifier against the store.

`client_ip` keeps network linkage: its pseudonym is `<network>.<address>`, two HMACs of the
/24 (IPv4) or /48 (IPv6) network and of the full address, so "same subnet" survives while
the address does not. A value that is not an IP address gets only the address part.

Hashing is done once per distinct value of a batch (and cached across batches), not per row.
"""

from __future__ import annotations

import hmac
import ipaddress
import os
import secrets
import stat
from pathlib import Path
from typing import Any, cast

import pyarrow as pa
import pyarrow.compute as pc

from distillgov.traffic.schema import PSEUDONYMIZED_FIELDS

KEY_BYTES = 32
_TOKEN_HEX = 32  # 128 bits: collisions are out of reach at any log volume
_PART_HEX = 16  # each half of an IP pseudonym
_CACHE_LIMIT = 1 << 20
_DOMAIN = b"distillgov/pseudonym/v1/"


class KeyFileError(Exception):
    """The key file is missing or unusable; the message says how to make a good one."""


def generate_key(path: Path, *, overwrite: bool = False) -> str:
    """Write a new random key (hex text, mode 0600) and return its fingerprint."""
    if path.exists() and not overwrite:
        raise KeyFileError(
            f"{path} already exists; refusing to replace a key (data hashed under it would unlink)"
        )
    key = secrets.token_bytes(KEY_BYTES)
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(key.hex() + "\n")
    path.chmod(0o600)
    return fingerprint(key)


def load_key(path: Path) -> bytes:
    """Key material of a key file: hex text (as `keygen` writes) or at least 32 raw bytes."""
    try:
        content = path.read_bytes()
    except FileNotFoundError:
        raise KeyFileError(f"key file {path} not found; create one with `distillgov keygen {path}`") from None
    except OSError as error:
        raise KeyFileError(f"cannot read key file {path}: {error.strerror}") from None
    text = content.strip()
    try:
        key = bytes.fromhex(text.decode("ascii"))
    except (UnicodeDecodeError, ValueError):
        key = content
    if len(key) < KEY_BYTES:
        raise KeyFileError(
            f"key file {path} holds {len(key)} bytes of key; at least {KEY_BYTES} random bytes are needed. "
            f"Create one with `distillgov keygen {path}`"
        )
    return key


def key_is_private(path: Path) -> bool:
    """Whether only the owner may read the key file."""
    return not path.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO)


def fingerprint(key: bytes) -> str:
    """Identifies a key in manifests without revealing it (an HMAC of a fixed label)."""
    return hmac.digest(key, _DOMAIN + b"fingerprint", "sha256").hex()[:16]


class Pseudonymizer:
    """Replaces the schema's pseudonymized columns of a table by keyed pseudonyms."""

    def __init__(self, key: bytes) -> None:
        self.fingerprint = fingerprint(key)
        self._keys = {
            name: hmac.digest(key, _DOMAIN + b"field/" + name.encode(), "sha256")
            for name in (*PSEUDONYMIZED_FIELDS, "client_ip.network")
        }
        self._cache: dict[str, dict[str, str]] = {name: {} for name in PSEUDONYMIZED_FIELDS}

    def token(self, field: str, value: str) -> str:
        """Pseudonym of one value of one field."""
        if field == "client_ip":
            return self._ip_token(value)
        return hmac.digest(self._keys[field], value.encode(), "sha256").hex()[:_TOKEN_HEX]

    def _ip_token(self, value: str) -> str:
        address_key = self._keys["client_ip"]
        try:
            address = ipaddress.ip_address(value.strip().strip("[]"))
        except ValueError:
            return hmac.digest(address_key, value.encode(), "sha256").hex()[:_PART_HEX]
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        prefix = 24 if address.version == 4 else 48
        network = ipaddress.ip_network(f"{address}/{prefix}", strict=False)
        network_part = hmac.digest(self._keys["client_ip.network"], str(network).encode(), "sha256")
        address_part = hmac.digest(address_key, str(address).encode(), "sha256")
        return f"{network_part.hex()[:_PART_HEX]}.{address_part.hex()[:_PART_HEX]}"

    def _column(self, field: str, column: pa.ChunkedArray[Any]) -> pa.Array[Any]:
        encoded = cast("pa.DictionaryArray[Any, Any]", pc.dictionary_encode(column.combine_chunks()))
        cache = self._cache[field]
        if len(cache) > _CACHE_LIMIT:
            cache.clear()
        tokens = []
        for value in map(str, encoded.dictionary.to_pylist()):  # nulls stay out of the dictionary
            token = cache.get(value)
            if token is None:
                token = cache[value] = self.token(field, value)
            tokens.append(token)
        return pa.array(tokens, pa.string()).take(encoded.indices)

    def apply(self, table: pa.Table) -> pa.Table:
        """The table with every pseudonymized field replaced; nulls stay null."""
        for field in PSEUDONYMIZED_FIELDS:
            index = table.schema.get_field_index(field)
            if index >= 0:
                table = table.set_column(
                    index, table.schema.field(index), self._column(field, table.column(index))
                )
        return table
