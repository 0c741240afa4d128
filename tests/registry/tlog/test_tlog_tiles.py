"""tlog-tiles: path encoding, which tiles a tree has, tile bytes, and entry bundles."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from tlog_reference import mth

from distillgov.registry.tlog import merkle
from distillgov.registry.tlog.memory import MemoryLog
from distillgov.registry.tlog.note import generate_signer
from distillgov.registry.tlog.source import MissingResourceError
from distillgov.registry.tlog.tiles import (
    ENTRIES_LEVEL,
    BundleError,
    Tile,
    TilePathError,
    bundles_for_size,
    entry_bundle,
    locate_hash,
    parse_entry_bundle,
    parse_tile_path,
    read_tile,
    tile_path,
    tiles_for_size,
)


@pytest.mark.parametrize(
    ("tile", "path"),
    [
        (Tile(0, 0), "tile/0/000"),
        (Tile(0, 1234067), "tile/0/x001/x234/067"),  # the example of the tlog-tiles spec
        (Tile(1, 1000, 17), "tile/1/x001/000.p/17"),
        (Tile(63, 999, 1), "tile/63/999.p/1"),
        (Tile(ENTRIES_LEVEL, 5), "tile/entries/005"),
        (Tile(ENTRIES_LEVEL, 1234067, 255), "tile/entries/x001/x234/067.p/255"),
    ],
)
def test_tile_paths(tile: Tile, path: str) -> None:
    assert tile_path(tile) == path
    assert parse_tile_path(path) == tile


@given(st.integers(ENTRIES_LEVEL, 63), st.integers(0, 10**15), st.integers(1, 256))
def test_tile_paths_round_trip(level: int, index: int, width: int) -> None:
    tile = Tile(level, index, width)
    assert parse_tile_path(tile.path) == tile


@pytest.mark.parametrize(
    "path",
    [
        "tile/00/000",  # leading zero in level
        "tile/64/000",  # level out of range
        "tile/0/0",  # index element not 3 digits
        "tile/0/x000",  # last element must not start with x
        "tile/0/001/234",  # all but the last must start with x
        "tile/0/x000/001",  # not the canonical spelling of 1
        "tile/0/000.p/256",  # a full tile is not partial
        "tile/0/000.p/0",
        "tile/0/000.p/07",
        "tile/data/000",
        "log/0/000",
        "tile/0",
        "tile/-1/000",
    ],
)
def test_malformed_tile_paths_are_refused(path: str) -> None:
    with pytest.raises(TilePathError):
        parse_tile_path(path)


def test_tiles_of_the_spec_examples() -> None:
    tiles = tiles_for_size(70000)  # tlog-tiles: 273 full level-0 tiles, one of width 112, ...
    assert [t for t in tiles if t.level == 0 and t.is_full] == [Tile(0, n) for n in range(273)]
    assert [t for t in tiles if not (t.level == 0 and t.is_full)] == [
        Tile(0, 273, 112),
        Tile(1, 0),
        Tile(1, 1, 17),
        Tile(2, 0, 1),
    ]
    assert tiles_for_size(256) == [Tile(0, 0), Tile(1, 0, 1)]
    assert tiles_for_size(0) == bundles_for_size(0) == []
    assert bundles_for_size(300) == [Tile(ENTRIES_LEVEL, 0), Tile(ENTRIES_LEVEL, 1, 44)]


def test_tile_bytes_are_the_subtree_hashes() -> None:
    log = _log(600)
    entries = log.entries
    level0 = read_tile(Tile(0, 1, 44), log.read_hashes)
    assert level0 == b"".join(merkle.leaf_hash(e) for e in entries[256:300])
    level1 = read_tile(Tile(1, 0, 2), log.read_hashes)
    assert level1 == mth(entries[:256]) + mth(entries[256:512])
    with pytest.raises(ValueError, match="entry bundle"):
        read_tile(Tile(ENTRIES_LEVEL, 0), log.read_hashes)


def test_locate_hash_finds_subtrees_inside_tiles() -> None:
    tile, start, end = locate_hash(9, 1, 2000)  # leaves 512..1023: two hashes of level-1 tile 0
    assert (tile, start, end) == (Tile(1, 0, 7), 2, 4)
    with pytest.raises(ValueError, match="not complete"):
        locate_hash(0, 2000, 2000)


@given(st.lists(st.binary(max_size=300), min_size=1, max_size=256))
def test_entry_bundles_round_trip(entries: list[bytes]) -> None:
    assert parse_entry_bundle(entry_bundle(entries)) == entries


def test_entry_bundle_layout_is_big_endian_uint16_prefixes() -> None:
    assert entry_bundle([b"ab", b"", b"\x00" * 258]) == b"\x00\x02ab\x00\x00\x01\x02" + b"\x00" * 258


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\x00", "inside the length prefix"),
        (b"\x00\x05abc", "claims 5 bytes"),
        (b"\x00\x01a\x00", "length prefix"),
    ],
)
def test_truncated_bundles_are_refused(data: bytes, message: str) -> None:
    with pytest.raises(BundleError, match=message):
        parse_entry_bundle(data)


def test_bundles_refuse_what_cannot_be_encoded() -> None:
    with pytest.raises(BundleError, match="at most 65535"):
        entry_bundle([b"x" * 65536])
    with pytest.raises(BundleError, match=r"1\.\.256"):
        entry_bundle([b"x"] * 257)
    with pytest.raises(BundleError, match="at most 256"):
        parse_entry_bundle(b"\x00\x00" * 257)


def test_memory_log_serves_only_tiles_its_tree_has() -> None:
    log = _log(300)
    assert log.read("tile/0/001.p/44") == read_tile(Tile(0, 1, 44), log.read_hashes)
    assert log.read("tile/0/001.p/10") == log.read("tile/0/001.p/44")[: 10 * 32]  # an older tree's tile
    assert parse_entry_bundle(log.read("tile/entries/001.p/44")) == log.entries[256:]
    for missing in ["tile/0/001", "tile/1/000", "tile/entries/001", "tile/0/001.p/45", "nonsense"]:
        with pytest.raises(MissingResourceError):
            log.read(missing)


def _log(size: int) -> MemoryLog:
    log = MemoryLog(generate_signer("test.example/tiles")[0])
    for index in range(size):
        log.append_entry(f"entry {index}".encode())
    return log
