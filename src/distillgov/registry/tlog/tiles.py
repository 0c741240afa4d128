"""C2SP tlog-tiles: the tree as static tiles of 256 hashes, and the entries as bundles.

Tiles let a log be served by any static file server or CDN and let a client compute any proof from a
handful of GETs. Tile paths are relative to the log prefix (`/log/` in the registry): `tile/<L>/<N>`,
`tile/<L>/<N>.p/<W>` and `tile/entries/<N>[.p/<W>]`, with N written as 3-digit path elements of which
all but the last start with `x` (1234067 -> `x001/x234/067`). Full tiles never change once written.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from distillgov.registry.tlog.merkle import HASH_SIZE, ReadHashes, node_hash, stored_hash_index

TILE_HEIGHT = 8
TILE_WIDTH = 1 << TILE_HEIGHT
MAX_LEVEL = 63
ENTRIES_LEVEL = -1
"""The level of an entry bundle: it covers the same entries as level-0 tile N, as entries not hashes."""

_LEVEL = re.compile(r"0|[1-9][0-9]?")
_WIDTH = re.compile(r"[1-9][0-9]{0,2}")
_INDEX_PART = re.compile(r"x?[0-9]{3}")


class TilePathError(ValueError):
    """A path that is not a tlog-tiles tile or entry-bundle path."""


class BundleError(ValueError):
    """Entry-bundle bytes that do not split into length-prefixed entries."""


@dataclass(frozen=True, order=True)
class Tile:
    """Tile `index` at `level` holding `width` hashes (or entries, at ENTRIES_LEVEL); 256 is full."""

    level: int
    index: int
    width: int = TILE_WIDTH

    def __post_init__(self) -> None:
        if not ENTRIES_LEVEL <= self.level <= MAX_LEVEL:
            raise TilePathError(f"tile level must be {ENTRIES_LEVEL}..{MAX_LEVEL}, got {self.level}")
        if self.index < 0:
            raise TilePathError(f"tile index must be >= 0, got {self.index}")
        if not 1 <= self.width <= TILE_WIDTH:
            raise TilePathError(f"tile width must be 1..{TILE_WIDTH}, got {self.width}")

    @property
    def is_entry_bundle(self) -> bool:
        return self.level == ENTRIES_LEVEL

    @property
    def is_full(self) -> bool:
        return self.width == TILE_WIDTH

    @property
    def path(self) -> str:
        return tile_path(self)

    def full(self) -> Tile:
        """The full tile this one is a prefix of (a client's fallback once a partial tile is gone)."""
        return Tile(self.level, self.index)


def tile_path(tile: Tile) -> str:
    """The tile's path under the log prefix, e.g. `tile/1/x001/234.p/17` or `tile/entries/000`."""
    parts = [f"{tile.index % 1000:03d}"]
    rest = tile.index // 1000
    while rest:
        parts.append(f"x{rest % 1000:03d}")
        rest //= 1000
    level = "entries" if tile.is_entry_bundle else str(tile.level)
    suffix = "" if tile.is_full else f".p/{tile.width}"
    return f"tile/{level}/{'/'.join(reversed(parts))}{suffix}"


def parse_tile_path(path: str) -> Tile:
    """The tile a path names; only the one canonical spelling of each tile is accepted."""
    fields = path.split("/")
    if len(fields) < 3 or fields[0] != "tile":
        raise TilePathError(f"{path!r} is not a tile path: expected tile/<L>/<N>[.p/<W>] or tile/entries/<N>")
    if fields[1] == "entries":
        level = ENTRIES_LEVEL
    elif _LEVEL.fullmatch(fields[1]) and int(fields[1]) <= MAX_LEVEL:
        level = int(fields[1])
    else:
        raise TilePathError(f"{path!r}: level {fields[1]!r} is not 0..{MAX_LEVEL} or 'entries'")
    index_parts = fields[2:]
    width = TILE_WIDTH
    if len(index_parts) >= 2 and index_parts[-2].endswith(".p"):
        if not _WIDTH.fullmatch(index_parts[-1]) or int(index_parts[-1]) >= TILE_WIDTH:
            raise TilePathError(f"{path!r}: partial width {index_parts[-1]!r} is not 1..{TILE_WIDTH - 1}")
        width = int(index_parts[-1])
        index_parts = [*index_parts[:-2], index_parts[-2].removesuffix(".p")]
    if not all(_INDEX_PART.fullmatch(part) for part in index_parts):
        raise TilePathError(f"{path!r}: tile index must be 3-digit path elements like x001/x234/067")
    index = int("".join(part.removeprefix("x") for part in index_parts))
    tile = Tile(level, index, width)
    if tile_path(tile) != path:
        raise TilePathError(f"{path!r} is not the canonical path of its tile; use {tile_path(tile)!r}")
    return tile


def read_tile(tile: Tile, read_hashes: ReadHashes) -> bytes:
    """The tile's bytes: its `width` hashes, each the root of 256**level leaves, concatenated."""
    if tile.is_entry_bundle:
        raise ValueError(f"{tile.path} is an entry bundle: build it with entry_bundle() from the entries")
    first = tile.index * TILE_WIDTH
    height = tile.level * TILE_HEIGHT
    hashes = read_hashes([stored_hash_index(height, first + i) for i in range(tile.width)])
    if len(hashes) != tile.width:
        raise ValueError(f"read_hashes returned {len(hashes)} hashes for the {tile.width} of {tile.path}")
    return b"".join(hashes)


def tiles_for_size(size: int) -> list[Tile]:
    """Every hash tile of a tree of `size` entries, level by level (partial tiles last in a level)."""
    return [
        tile for level in range(MAX_LEVEL + 1) for tile in _level_tiles(level, size >> (TILE_HEIGHT * level))
    ]


def bundles_for_size(size: int) -> list[Tile]:
    """Every entry bundle of a tree of `size` entries."""
    return [Tile(ENTRIES_LEVEL, tile.index, tile.width) for tile in _level_tiles(0, size)]


def tile_width_at(level: int, index: int, size: int) -> int:
    """Width of tile (`level`, `index`) in the tree of `size` entries; 0 when the tree does not reach it."""
    count = size >> (TILE_HEIGHT * max(level, 0))
    return max(0, min(TILE_WIDTH, count - index * TILE_WIDTH))


def locate_hash(level: int, n: int, size: int) -> tuple[Tile, int, int]:
    """The tile of the tree of `size` holding subtree (level, n), and the slots [start, end) it spans.

    A subtree between tile levels is not stored in a tile: its hash is the perfect subtree over
    2**(level % 8) consecutive hashes of the tile below it.
    """
    tile_level, height_in_tile = divmod(level, TILE_HEIGHT)
    first = n << height_in_tile
    index, start = divmod(first, TILE_WIDTH)
    end = start + (1 << height_in_tile)
    width = tile_width_at(tile_level, index, size)
    if end > width:
        raise ValueError(f"subtree (level {level}, n {n}) is not complete in a tree of size {size}")
    return Tile(tile_level, index, width), start, end


def split_tile(data: bytes, tile: Tile) -> list[bytes]:
    """The hashes in a tile's bytes, refusing bytes of the wrong length for the tile."""
    if len(data) != tile.width * HASH_SIZE:
        raise ValueError(
            f"{tile.path} is {len(data)} bytes; a tile of width {tile.width} is {tile.width * HASH_SIZE}"
        )
    return [data[i : i + HASH_SIZE] for i in range(0, len(data), HASH_SIZE)]


def subtree_root(hashes: Sequence[bytes]) -> bytes:
    """Root of the perfect subtree whose bottom row is `hashes` (a power-of-two count)."""
    row = list(hashes)
    if not row or len(row) & (len(row) - 1):
        raise ValueError(f"a perfect subtree needs a power-of-two number of hashes, got {len(row)}")
    while len(row) > 1:
        row = [node_hash(row[i], row[i + 1]) for i in range(0, len(row), 2)]
    return row[0]


def entry_bundle(entries: Sequence[bytes]) -> bytes:
    """The entries, each prefixed with its length as a big-endian uint16."""
    if not 1 <= len(entries) <= TILE_WIDTH:
        raise BundleError(f"an entry bundle holds 1..{TILE_WIDTH} entries, got {len(entries)}")
    out = bytearray()
    for position, entry in enumerate(entries):
        if len(entry) > 0xFFFF:
            raise BundleError(f"entry {position} of the bundle is {len(entry)} bytes; at most 65535 fit")
        out += len(entry).to_bytes(2, "big") + entry
    return bytes(out)


def parse_entry_bundle(data: bytes) -> list[bytes]:
    """The entries of a bundle; truncated or trailing bytes are an error, never silently dropped."""
    entries: list[bytes] = []
    offset = 0
    while offset < len(data):
        if offset + 2 > len(data):
            raise BundleError(
                f"entry bundle ends inside the length prefix of entry {len(entries)} (byte {offset})"
            )
        length = int.from_bytes(data[offset : offset + 2], "big")
        if offset + 2 + length > len(data):
            raise BundleError(
                f"entry {len(entries)} claims {length} bytes at byte {offset}, but the bundle ends "
                f"{len(data) - offset - 2} bytes later"
            )
        entries.append(data[offset + 2 : offset + 2 + length])
        offset += 2 + length
    if len(entries) > TILE_WIDTH:
        raise BundleError(f"entry bundle holds {len(entries)} entries; at most {TILE_WIDTH} fit")
    return entries


def _level_tiles(level: int, count: int) -> list[Tile]:
    """Tiles of one level whose `count` hashes (or entries) exist; empty tiles are never served."""
    full, partial = divmod(count, TILE_WIDTH)
    tiles = [Tile(level, index) for index in range(full)]
    if partial:
        tiles.append(Tile(level, full, partial))
    return tiles
