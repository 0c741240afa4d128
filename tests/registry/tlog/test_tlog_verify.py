"""The offline verifier on real folders and a real HTTP server, honest logs and tampered ones."""

from __future__ import annotations

import functools
import shutil
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from tlog_reference import decision, fixed_key

from distillgov.registry.tlog import verify
from distillgov.registry.tlog.checkpoint import Checkpoint, sign_checkpoint
from distillgov.registry.tlog.entries import canonical_entry
from distillgov.registry.tlog.memory import MemoryLog
from distillgov.registry.tlog.note import Signer, generate_signer, parse_signer
from distillgov.registry.tlog.tiles import bundles_for_size, entry_bundle, parse_entry_bundle, tiles_for_size

SIGNER, VKEY = fixed_key("registry.test/log")
SIZE = 600  # two full level-0 tiles and a partial one; a partial level-1 tile of width 2


def build_log(size: int, signer: Signer | str = SIGNER, rewrite: dict[int, str] | None = None) -> MemoryLog:
    log = MemoryLog(signer)
    for index in range(size):
        entry = decision(index)
        if rewrite and index in rewrite:
            entry = {**entry, "note": rewrite[index]}
        log.append(entry)
    return log


@pytest.fixture(scope="module")
def honest() -> MemoryLog:
    return build_log(SIZE)


@pytest.fixture
def folder(honest: MemoryLog, tmp_path: Path) -> Path:
    honest.write_folder(tmp_path / "log")
    return tmp_path / "log"


def test_an_honest_log_verifies_completely(folder: Path) -> None:
    report = verify.verify_checkpoint(folder, VKEY, audit=True)
    assert (report.checkpoint.size, report.details["entries_checked"]) == (SIZE, SIZE)
    assert report.details["tiles_checked"] == len(tiles_for_size(SIZE))
    document = report.to_json()
    assert document["ok"] is True and document["checkpoint"]["size"] == SIZE
    assert document["tool"]["name"] == "distillgov"


@pytest.mark.parametrize("index", [0, 255, 256, 511, 512, SIZE - 1])
def test_inclusion_of_a_decision(folder: Path, index: int) -> None:
    by_decision = verify.verify_inclusion(folder, VKEY, index, decision(index))
    by_bytes = verify.verify_inclusion(folder, VKEY, index, canonical_entry(decision(index)))
    read_back = verify.verify_inclusion(folder, VKEY, index)
    assert by_decision.details == by_bytes.details == read_back.details
    assert read_back.details["entry"] == decision(index)


def test_inclusion_of_another_decision_fails(folder: Path) -> None:
    with pytest.raises(verify.EntryMismatchError, match="given entry at index 7 is not in the signed tree"):
        verify.verify_inclusion(folder, VKEY, 7, decision(8))
    with pytest.raises(verify.EntryMismatchError, match="there is no entry 600"):
        verify.verify_inclusion(folder, VKEY, SIZE, decision(SIZE))


@pytest.mark.parametrize("old_size", [0, 1, 255, 256, 257, 300, 599, SIZE])
def test_consistency_with_every_older_checkpoint(folder: Path, honest: MemoryLog, old_size: int) -> None:
    report = verify.verify_consistency(folder, VKEY, honest.signed_checkpoint(old_size))
    assert report.details["old_checkpoint"]["size"] == old_size


def test_a_changed_entry_is_detected(folder: Path) -> None:
    bundle_path = folder / "tile/entries/001"
    entries = parse_entry_bundle(bundle_path.read_bytes())
    entries[300 - 256] = canonical_entry({**decision(300), "amount_minor": 1})
    bundle_path.write_bytes(entry_bundle(entries))
    with pytest.raises(verify.EntryMismatchError, match=r"entry 300 .* the entry was altered"):
        verify.verify_checkpoint(folder, VKEY, audit=True)
    with pytest.raises(verify.EntryMismatchError, match="serves a different entry at index 300"):
        verify.verify_inclusion(folder, VKEY, 300, decision(300))
    with pytest.raises(
        verify.EntryMismatchError, match="log's own entry at index 300 is not in the signed tree"
    ):
        verify.verify_inclusion(folder, VKEY, 300)
    verify.verify_inclusion(folder, VKEY, 299, decision(299))  # the rest of the log still verifies


@pytest.mark.parametrize("tile", ["tile/0/000", "tile/0/002.p/88", "tile/1/000.p/2"])
def test_a_changed_tile_is_detected(folder: Path, tile: str) -> None:
    data = bytearray((folder / tile).read_bytes())
    data[40] ^= 0x01
    (folder / tile).write_bytes(bytes(data))
    with pytest.raises(verify.TileHashMismatchError):
        verify.verify_checkpoint(folder, VKEY, audit=True)
    with pytest.raises(verify.TileHashMismatchError):
        verify.verify_inclusion(folder, VKEY, 1, decision(1))


def test_a_truncated_tile_is_detected(folder: Path) -> None:
    (folder / "tile/0/002.p/88").write_bytes((folder / "tile/0/002.p/88").read_bytes()[:-1])
    with pytest.raises(verify.TileHashMismatchError, match="is 2815 bytes"):
        verify.verify_checkpoint(folder, VKEY)


def test_a_rolled_back_tree_is_detected(folder: Path, honest: MemoryLog, tmp_path: Path) -> None:
    old = honest.signed_checkpoint()
    shutil.rmtree(folder)
    build_log(SIZE - 100).write_folder(folder)  # same key, same entries, fewer of them
    verify.verify_checkpoint(folder, VKEY, audit=True)  # on its own the smaller log looks fine
    with pytest.raises(verify.RollbackError, match="fewer than the 600"):
        verify.verify_consistency(folder, VKEY, old)


@pytest.mark.parametrize("new_size", [SIZE, SIZE + 100])
def test_rewritten_history_is_detected(folder: Path, honest: MemoryLog, new_size: int) -> None:
    old = honest.signed_checkpoint()
    shutil.rmtree(folder)
    build_log(new_size, rewrite={10: "changed after the fact"}).write_folder(folder)
    with pytest.raises(verify.InconsistentTreeError):
        verify.verify_consistency(folder, VKEY, old)


def test_a_forged_checkpoint_is_detected(folder: Path, honest: MemoryLog) -> None:
    signed = (folder / "checkpoint").read_text()
    root = honest.checkpoint().root_base64
    (folder / "checkpoint").write_text(signed.replace(root, honest.checkpoint(SIZE - 1).root_base64))
    with pytest.raises(verify.BadSignatureError, match="does not verify"):
        verify.verify_checkpoint(folder, VKEY)

    other_key, _ = generate_signer("registry.test/log")  # same name, another key
    (folder / "checkpoint").write_text(sign_checkpoint(honest.checkpoint(), other_key))
    with pytest.raises(verify.BadSignatureError, match="no signature by a trusted key"):
        verify.verify_checkpoint(folder, VKEY)

    trusted = parse_signer(SIGNER)
    impostor = Signer(trusted.name, trusted.key_id, bytes(32))  # same name and key id, another key
    (folder / "checkpoint").write_text(sign_checkpoint(honest.checkpoint(), impostor))
    with pytest.raises(verify.BadSignatureError):
        verify.verify_checkpoint(folder, VKEY)


def test_an_old_checkpoint_not_signed_by_the_log_is_refused(folder: Path) -> None:
    other_key, _ = generate_signer("registry.test/log")
    forged_old = sign_checkpoint(Checkpoint("registry.test/log", 5, bytes(32)), other_key)
    with pytest.raises(verify.BadSignatureError, match="old checkpoint"):
        verify.verify_consistency(folder, VKEY, forged_old)


def test_a_grown_log_without_old_partial_tiles_is_read_through_full_tiles(tmp_path: Path) -> None:
    small, grown = build_log(300), build_log(SIZE)
    small.write_folder(tmp_path / "log")
    old_checkpoint = (tmp_path / "log/checkpoint").read_text()
    grown.write_folder(tmp_path / "log")
    for partial in ["tile/0/001.p/44", "tile/entries/001.p/44"]:  # the spec lets a log drop them once full
        (tmp_path / "log" / partial).unlink()
    (tmp_path / "log/checkpoint").write_text(old_checkpoint)  # a client holding the older checkpoint
    verify.verify_checkpoint(tmp_path / "log", VKEY, audit=True)
    assert verify.verify_inclusion(tmp_path / "log", VKEY, 299, decision(299)).checkpoint.size == 300


@pytest.mark.parametrize(
    ("source", "key", "message"),
    [
        ("missing-folder", VKEY, "is not a folder"),
        (".", "not a key", "--vkey"),
        (".", SIGNER, "--vkey"),
    ],
)
def test_unusable_input_is_bad_input(folder: Path, source: str, key: str, message: str) -> None:
    target = folder / source if source != "." else folder
    with pytest.raises(verify.BadInputError, match=message):
        verify.verify_checkpoint(target, key)


def test_a_missing_tile_is_bad_input(folder: Path) -> None:
    (folder / "tile/0/000").unlink()
    with pytest.raises(verify.BadInputError, match="tile/0/000 is missing"):
        verify.verify_inclusion(folder, VKEY, 0, decision(0))


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A real HTTP server publishing tmp_path/served as a log prefix."""
    root = tmp_path / "served"
    root.mkdir()
    handler = functools.partial(_QuietHandler, directory=str(root))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", root
    finally:
        server.shutdown()
        thread.join()


def test_save_over_http_then_verify_offline(
    served: tuple[str, Path], honest: MemoryLog, tmp_path: Path
) -> None:
    url, root = served
    honest.write_folder(root)
    saved = tmp_path / "mirror"
    report = verify.save_log(url, saved, VKEY)
    assert report.checkpoint == honest.checkpoint()
    expected = {"checkpoint", "vkey", *(t.path for t in (*tiles_for_size(SIZE), *bundles_for_size(SIZE)))}
    assert {str(p.relative_to(saved)) for p in saved.rglob("*") if p.is_file()} == expected
    verify.verify_inclusion(saved, VKEY, 42, decision(42))
    assert verify.verify_inclusion(url, VKEY, 42, decision(42)).source == url

    shutil.rmtree(root)
    root.mkdir()
    build_log(SIZE - 1).write_folder(root)  # the server rolls back
    with pytest.raises(verify.RollbackError):
        verify.save_log(url, saved, VKEY)
    assert verify.verify_checkpoint(saved, VKEY).checkpoint.size == SIZE  # the mirror was kept


def test_save_without_a_key_trusts_the_served_key_and_says_so(
    served: tuple[str, Path], tmp_path: Path
) -> None:
    url, root = served
    build_log(3).write_folder(root)
    report = verify.save_log(url, tmp_path / "mirror")
    assert report.key == VKEY
    assert any("compare it with the key published out of band" in check for check in report.checks)


def test_a_wrong_url_prefix_is_explained(served: tuple[str, Path]) -> None:
    url, _ = served
    with pytest.raises(verify.BadInputError, match=r"answered 404: is .* the log prefix"):
        verify.verify_checkpoint(url + "/nothing-here", VKEY)


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        """Keep the test output free of access logs."""
