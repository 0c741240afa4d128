"""Keyed pseudonyms: keys, domain separation, network-preserving IPs, per-batch caching."""

from __future__ import annotations

import hmac
import stat
from pathlib import Path

import pyarrow as pa
import pytest

from distillgov.traffic.pseudonymize import (
    KEY_BYTES,
    KeyFileError,
    Pseudonymizer,
    fingerprint,
    generate_key,
    load_key,
)
from distillgov.traffic.schema import PSEUDONYMIZED_FIELDS

KEY = bytes(range(32))


def expected(field: str, value: str) -> str:
    field_key = hmac.digest(KEY, b"distillgov/pseudonym/v1/field/" + field.encode(), "sha256")
    return hmac.digest(field_key, value.encode(), "sha256").hex()[:32]


def test_keygen_writes_a_private_random_key(tmp_path: Path) -> None:
    path, other = tmp_path / "keys" / "pseudonym.key", tmp_path / "other.key"
    reported = generate_key(path)
    generate_key(other)
    key = load_key(path)
    assert len(key) == KEY_BYTES
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert reported == fingerprint(key)
    assert key.hex() not in reported
    assert load_key(other) != key


def test_keygen_refuses_to_replace_a_key(tmp_path: Path) -> None:
    path = tmp_path / "k"
    generate_key(path)
    with pytest.raises(KeyFileError, match="refusing"):
        generate_key(path)
    generate_key(path, overwrite=True)


@pytest.mark.parametrize(
    ("content", "message"),
    [(None, "not found"), (b"abcd", "holds 2 bytes"), (b"short raw key", "holds 13 bytes")],
)
def test_unusable_key_files_are_clear_errors(tmp_path: Path, content: bytes | None, message: str) -> None:
    path = tmp_path / "key"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(KeyFileError, match=message) as error:
        load_key(path)
    assert "distillgov keygen" in str(error.value)


def test_raw_key_files_of_32_bytes_are_accepted(tmp_path: Path) -> None:
    path = tmp_path / "raw.key"
    path.write_bytes(b"\xff" * 40)
    assert load_key(path) == b"\xff" * 40


def test_every_pseudonymized_field_is_replaced_with_a_keyed_hmac() -> None:
    table = pa.table({name: ["same-value", None] for name in PSEUDONYMIZED_FIELDS if name != "client_ip"})
    out = Pseudonymizer(KEY).apply(table)
    for name in table.column_names:
        assert out.column(name).to_pylist() == [expected(name, "same-value"), None]
    # Domain separation: one string gives a different pseudonym in every field.
    assert len({out.column(name)[0].as_py() for name in table.column_names}) == len(table.column_names)


def test_other_columns_are_untouched() -> None:
    table = pa.table({"account_id": ["a"], "request_id": ["r-1"], "prompt": ["hello"]})
    out = Pseudonymizer(KEY).apply(table)
    assert out.column("request_id").to_pylist() == ["r-1"]
    assert out.column("prompt").to_pylist() == ["hello"]


def test_another_key_gives_other_pseudonyms() -> None:
    table = pa.table({"account_id": ["acct-1"]})
    assert Pseudonymizer(KEY).apply(table).equals(Pseudonymizer(KEY).apply(table))
    assert not Pseudonymizer(KEY).apply(table).equals(Pseudonymizer(b"\x01" * 32).apply(table))


def test_client_ip_keeps_the_network_and_hides_the_address() -> None:
    ips = [
        "203.0.113.7",
        "203.0.113.200",
        "198.51.100.7",
        "2001:db8:1:2::1",
        "2001:db8:1:ffff::9",
        "::ffff:203.0.113.7",
    ]
    tokens = Pseudonymizer(KEY).apply(pa.table({"client_ip": ips})).column("client_ip").to_pylist()
    networks = [t.split(".")[0] for t in tokens]
    addresses = [t.split(".")[1] for t in tokens]
    assert networks[0] == networks[1] != networks[2]  # same /24, another /24
    assert networks[3] == networks[4] != networks[0]  # same IPv6 /48
    assert tokens[5] == tokens[0]  # an IPv4-mapped address is that IPv4 address
    assert len(set(addresses[:5])) == 5
    assert not any("203" in t or "2001" in t for t in tokens)


def test_unparseable_ip_gets_only_an_address_part() -> None:
    token = Pseudonymizer(KEY).token("client_ip", "not-an-ip")
    assert "." not in token and len(token) == 16


def test_values_repeated_across_batches_get_the_same_pseudonym() -> None:
    pseudonymizer = Pseudonymizer(KEY)
    first = pseudonymizer.apply(pa.table({"account_id": ["a", "b", "a"]})).column("account_id").to_pylist()
    second = pseudonymizer.apply(pa.table({"account_id": ["b", "a"]})).column("account_id").to_pylist()
    assert first[0] == first[2] == second[1]
    assert first[1] == second[0] != first[0]
