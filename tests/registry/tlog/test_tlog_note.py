"""Signed notes, note keys, checkpoints and canonical entries."""

from __future__ import annotations

import base64
import math
import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from tlog_reference import fixed_key

from distillgov.registry.tlog.checkpoint import (
    Checkpoint,
    CheckpointFormatError,
    format_checkpoint,
    open_checkpoint,
    parse_checkpoint,
    sign_checkpoint,
)
from distillgov.registry.tlog.entries import EntryError, canonical_entry
from distillgov.registry.tlog.note import (
    InvalidSignatureError,
    KeyFormatError,
    MalformedNoteError,
    UnverifiedNoteError,
    generate_signer,
    key_id,
    open_note,
    parse_signer,
    parse_verifier,
    sign_note,
)

# The example of the C2SP signed-note specification (section "Verifier keys", "Example").
SPEC_VKEY = "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k"
SPEC_NOTE = (
    "This is an example message.\n\n"
    "\u2014 example.com/foo "
    "Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n"
)
# The example of the C2SP tlog-checkpoint specification.
SPEC_CHECKPOINT = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"

SIGNER, VKEY = fixed_key("registry.example/log")


def test_the_signed_note_spec_example_verifies() -> None:
    note = open_note(SPEC_NOTE, [SPEC_VKEY])
    assert note.text == "This is an example message.\n"
    assert [(s.name, s.key_id) for s in note.signatures] == [("example.com/foo", 0x530D903A)]
    with pytest.raises(InvalidSignatureError):
        open_note(SPEC_NOTE.replace("example message", "examp1e message"), [SPEC_VKEY])


def test_generated_keys_follow_the_note_key_formats() -> None:
    signer = parse_signer(SIGNER)
    verifier = parse_verifier(VKEY)
    assert SIGNER.startswith("PRIVATE+KEY+registry.example/log+")
    name, key_hex, material = VKEY.split("+", 2)
    raw = base64.b64decode(material)
    assert (name, raw[0], len(raw)) == ("registry.example/log", 0x01, 33)
    assert int(key_hex, 16) == key_id(name, raw[1:]) == signer.key_id == verifier.key_id
    assert signer.verifier == verifier
    assert parse_signer(signer.text) == signer and verifier.text == VKEY


@given(st.binary(min_size=32, max_size=32), st.text("abcdefghijklmnopqrstuvwxyz./-_0123456789", min_size=1))
def test_keys_round_trip_whatever_their_base64(seed: bytes, name: str) -> None:
    signer_text, verifier_text = generate_signer(name, seed=seed)
    assert parse_signer(signer_text).verifier.text == verifier_text
    signed = sign_note("hello\n", signer_text)
    assert open_note(signed, [verifier_text]).text == "hello\n"


@pytest.mark.parametrize(
    "key",
    [
        "registry.example/log+00000000+" + VKEY.split("+", 2)[2],  # wrong key id
        "registry.example/log+530d903+" + VKEY.split("+", 2)[2],  # 7 hex digits
        "registry example+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k",  # space in name
        "example.com/foo+530d903a+AukyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k",  # not type 0x01
        "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U",  # short key
        "example.com/foo+530d903a",
        SIGNER,  # a signer key is not a verifier key
    ],
)
def test_malformed_verifier_keys_are_refused(key: str) -> None:
    with pytest.raises(KeyFormatError):
        parse_verifier(key)


def test_malformed_signer_keys_are_refused() -> None:
    with pytest.raises(KeyFormatError):
        parse_signer(VKEY)
    private, key, name, _, material = SIGNER.split("+", 4)
    with pytest.raises(KeyFormatError, match="declares id"):
        parse_signer(f"{private}+{key}+{name}+00000000+{material}")


def test_signatures_by_other_keys_are_set_aside_not_trusted() -> None:
    other_signer, other_vkey = generate_signer("witness.example/w1")
    signed = sign_note("tree\n", SIGNER)
    cosigned = signed + sign_note("tree\n", other_signer).split("\n\n", 1)[1]
    note = open_note(cosigned, [VKEY])
    assert [s.name for s in note.signatures] == ["registry.example/log"]
    assert [s.name for s in note.unverified] == ["witness.example/w1"]
    with pytest.raises(UnverifiedNoteError, match="no signature by a trusted key"):
        open_note(signed, [other_vkey])


def test_a_forged_signature_under_the_trusted_name_and_id_is_rejected() -> None:
    impostor_seed = parse_signer(SIGNER).seed[::-1]
    trusted = parse_signer(SIGNER)
    forged_key = type(trusted)(trusted.name, trusted.key_id, impostor_seed)  # same name and id, other key
    with pytest.raises(InvalidSignatureError, match="does not verify"):
        open_note(sign_note("tree\n", forged_key), [VKEY])


@pytest.mark.parametrize(
    "message",
    [
        "no signatures\n",
        "text\n\n",
        "text\n\n\u2014 registry.example/log AAAA\n",  # signature too short
        "text\n\n- registry.example/log AAAAAAAAAA==\n",  # hyphen, not em dash
        "text\n\n\u2014 registry.example/log !!!!\n",
        "te\txt\n\n\u2014 registry.example/log AAAAAAAAAA==\n",  # control character
        "text\n\n\u2014 registry.example/log AAAAAAAAAA==",  # no final newline
    ],
)
def test_malformed_notes_are_refused(message: str) -> None:
    with pytest.raises(MalformedNoteError):
        open_note(message, [VKEY])


def test_notes_must_be_utf8_and_end_in_newline() -> None:
    with pytest.raises(MalformedNoteError, match="UTF-8"):
        open_note(b"\xff\n\n", [VKEY])
    with pytest.raises(MalformedNoteError, match="newline"):
        sign_note("no newline", SIGNER)


def test_the_checkpoint_spec_example_parses() -> None:
    checkpoint = parse_checkpoint(SPEC_CHECKPOINT)
    assert (checkpoint.origin, checkpoint.size) == ("example.com/behind-the-sofa", 20852163)
    assert checkpoint.text == SPEC_CHECKPOINT


def test_checkpoints_round_trip_with_extensions() -> None:
    checkpoint = Checkpoint("registry.example/log", 42, bytes(range(32)), ("ext one", "ext-two"))
    text = format_checkpoint("registry.example/log", 42, bytes(range(32)), ["ext one", "ext-two"])
    assert text == checkpoint.text
    assert parse_checkpoint(text) == checkpoint
    assert open_checkpoint(sign_checkpoint(checkpoint, SIGNER), VKEY) == checkpoint


@pytest.mark.parametrize(
    "text",
    [
        "origin\n42\n",
        "origin\n042\n" + base64.b64encode(bytes(32)).decode() + "\n",
        "origin\n-1\n" + base64.b64encode(bytes(32)).decode() + "\n",
        "origin\n42\n" + base64.b64encode(bytes(31)).decode() + "\n",
        "origin\n42\nnot base64!\n",
        "\n42\n" + base64.b64encode(bytes(32)).decode() + "\n",
        "origin\n42\n" + base64.b64encode(bytes(32)).decode() + "\n\n",  # empty extension line
        "origin\n42\n" + base64.b64encode(bytes(32)).decode(),
    ],
)
def test_malformed_checkpoints_are_refused(text: str) -> None:
    with pytest.raises(CheckpointFormatError):
        parse_checkpoint(text)


def test_a_checkpoint_of_another_log_is_refused() -> None:
    signed = sign_checkpoint(Checkpoint("other.example/log", 1, bytes(32)), SIGNER)
    with pytest.raises(CheckpointFormatError, match=r"not 'registry\.example/log'"):
        open_checkpoint(signed, VKEY)
    assert open_checkpoint(signed, VKEY, origin="other.example/log").size == 1


def test_canonical_entries_are_rfc8785() -> None:
    assert canonical_entry({"b": [1, 2.5, True, None], "a": "é", "c": {"y": 1e21, "x": 0.1}}) == (
        '{"a":"é","b":[1,2.5,true,null],"c":{"x":0.1,"y":1e+21}}'.encode()
    )
    assert canonical_entry({"z": 1, "a": 2}) == canonical_entry({"a": 2, "z": 1})


def test_uncanonicalizable_decisions_are_refused() -> None:
    with pytest.raises(EntryError, match="canonicalizable"):
        canonical_entry({"amount": math.nan})
    with pytest.raises(EntryError, match="at most 65535"):
        canonical_entry({"blob": "x" * 70000})
    with pytest.raises(EntryError, match="JSON object"):
        canonical_entry(["not", "an", "object"])  # type: ignore[arg-type]


def test_the_checkpoint_example_in_the_docs_verifies() -> None:
    """docs/transparency-log.md shows a signed checkpoint and its key; a reader must be able to verify it."""
    text = (Path(__file__).parents[3] / "docs" / "transparency-log.md").read_text()
    vkey = re.search(r"verifier key `([^`]+)`", text)
    note = re.search(r"```\n(registry\.example/log\n.*?\n)```", text, re.DOTALL)
    assert vkey and note
    assert open_checkpoint(note.group(1), vkey.group(1)).size == 3
