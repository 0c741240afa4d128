"""The log's Merkle tree (RFC 6962 / RFC 9162) over hashes kept in append-only storage.

Every hash of every complete subtree is stored once, in the order it becomes known (the layout of
Crosby and Wallach, section 3.3, which Go's `sumdb/tlog` uses): appending entry n writes its leaf hash
and the roots of the subtrees it completes, and nothing stored is ever rewritten. A database can then
hold the tree as rows `(storage index, hash)` inserted in the same transaction as the decision, and
every root, proof and tile is a read of a few of those rows through `read_hashes`.

Proofs are built from stored hashes here and checked with the iterative algorithms of RFC 9162
sections 2.1.3.2 and 2.1.4.2, a second formulation of the same tree, so a mistake in one is not
silently mirrored by the other.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()
"""RFC 6962 section 2.1: the hash of the empty tree is the hash of the empty string."""

ReadHashes = Callable[[Sequence[int]], list[bytes]]
"""Reads stored hashes by storage index, in the order asked (a service answers with one SELECT)."""

Span = tuple[int, int]
"""Leaves [lo, hi) of a subtree whose hash is one element of a proof."""


class ProofError(ValueError):
    """A proof does not show what it claims: the tree or entry it was checked against is not the log's."""


class StorageError(RuntimeError):
    """`read_hashes` answered with the wrong number or size of hashes: the storage is wrong, not a proof."""


def leaf_hash(entry: bytes) -> bytes:
    """SHA-256(0x00 || entry): the 0x00 prefix keeps a leaf from ever passing for an interior node."""
    return hashlib.sha256(b"\x00" + entry).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """SHA-256(0x01 || left || right)."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def stored_hash_index(level: int, n: int) -> int:
    """Storage index of the hash of the n-th subtree of height `level` (2**level leaves).

    The n-th subtree at `level` is completed by leaf ((n + 1) << level) - 1 and is stored right after
    that leaf's hash and the `level - 1` subtree roots below it. Leaf m is stored after the
    2m - popcount(m) hashes that the first m leaves produce.
    """
    if level < 0 or n < 0:
        raise ValueError(f"stored_hash_index needs level >= 0 and n >= 0, got level={level}, n={n}")
    last_leaf = ((n + 1) << level) - 1
    return 2 * last_leaf - last_leaf.bit_count() + level


def split_stored_hash_index(index: int) -> tuple[int, int]:
    """Inverse of `stored_hash_index`: the (level, n) of the hash kept at storage `index`."""
    if index < 0:
        raise ValueError(f"storage index must be >= 0, got {index}")
    leaf = index // 2  # stored_hash_index(0, m) <= 2m, so the leaf that wrote `index` is at least index // 2
    leaf_index = stored_hash_index(0, leaf)
    while True:
        next_leaf_index = leaf_index + 1 + _trailing_zeros(leaf + 1)
        if next_leaf_index > index:
            break
        leaf, leaf_index = leaf + 1, next_leaf_index
    level = index - leaf_index
    return level, leaf >> level


def stored_hash_count(size: int) -> int:
    """Number of stored hashes once `size` entries are appended (the next free storage index)."""
    if size < 0:
        raise ValueError(f"tree size must be >= 0, got {size}")
    return 2 * size - size.bit_count()


def stored_hashes_for_record(n: int, entry: bytes, read_hashes: ReadHashes) -> list[bytes]:
    """The hashes to store, from index `stored_hash_index(0, n)` on, when entry n is appended."""
    return stored_hashes_for_leaf_hash(n, leaf_hash(entry), read_hashes)


def stored_hashes_for_leaf_hash(n: int, leaf: bytes, read_hashes: ReadHashes) -> list[bytes]:
    """As `stored_hashes_for_record`, for a caller that already holds the leaf hash."""
    if n < 0:
        raise ValueError(f"entry index must be >= 0, got {n}")
    completed = _trailing_zeros(n + 1)  # each trailing 1 bit of n closes one subtree
    left_siblings = [stored_hash_index(level, (n >> level) - 1) for level in reversed(range(completed))]
    siblings = _read(read_hashes, left_siblings)
    hashes = [leaf]
    for sibling in reversed(siblings):
        hashes.append(node_hash(sibling, hashes[-1]))
    return hashes


def tree_hash(size: int, read_hashes: ReadHashes) -> bytes:
    """Root hash of the tree of the first `size` entries (one read of at most 1 + log2(size) hashes)."""
    if size < 0:
        raise ValueError(f"tree size must be >= 0, got {size}")
    if size == 0:
        return EMPTY_ROOT
    return _span_hashes([(0, size)], read_hashes)[0]


def prove_record(tree_size: int, index: int, read_hashes: ReadHashes) -> list[bytes]:
    """RFC 9162 inclusion proof (audit path, leaf to root) of entry `index` in the tree of `tree_size`."""
    if not 0 <= index < tree_size:
        raise ValueError(f"entry index {index} is not in a tree of size {tree_size}")
    return _span_hashes(_inclusion_spans(0, tree_size, index), read_hashes)


def prove_tree(new_size: int, old_size: int, read_hashes: ReadHashes) -> list[bytes]:
    """RFC 9162 consistency proof that the tree of `old_size` is a prefix of the tree of `new_size`."""
    if not 0 < old_size <= new_size:
        raise ValueError(f"a consistency proof needs 0 < old size <= new size, got {old_size} and {new_size}")
    return _span_hashes(_consistency_spans(0, new_size, old_size), read_hashes)


def check_record(proof: Sequence[bytes], tree_size: int, root: bytes, index: int, leaf: bytes) -> None:
    """Raise ProofError unless `proof` shows leaf hash `leaf` at `index` in the tree (`tree_size`, `root`).

    RFC 9162 section 2.1.3.2, step by step.
    """
    if not 0 <= index < tree_size:
        raise ProofError(f"entry index {index} is not in a tree of size {tree_size}")
    fn, sn, r = index, tree_size - 1, leaf
    for p in proof:
        if sn == 0:
            raise ProofError(f"inclusion proof for entry {index} has more hashes than the tree has levels")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise ProofError(f"inclusion proof for entry {index} is too short for a tree of size {tree_size}")
    if r != root:
        raise ProofError(f"entry {index} is not in the tree of size {tree_size} with root {root.hex()}")


def check_tree(
    proof: Sequence[bytes], new_size: int, new_root: bytes, old_size: int, old_root: bytes
) -> None:
    """Raise ProofError unless `proof` shows tree (`old_size`, `old_root`) is a prefix of the new tree.

    RFC 9162 section 2.1.4.2, step by step; equal sizes need an empty proof and equal roots.
    """
    if not 0 < old_size <= new_size:
        raise ProofError(f"a consistency proof needs 0 < old size <= new size, got {old_size} and {new_size}")
    if old_size == new_size:
        if proof or old_root != new_root:
            raise ProofError(f"two trees of size {new_size} with different roots: the log forked")
        return
    if not proof:
        raise ProofError(f"empty consistency proof between sizes {old_size} and {new_size}")
    path = [old_root, *proof] if old_size & (old_size - 1) == 0 else list(proof)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise ProofError(f"consistency proof {old_size} -> {new_size} has too many hashes")
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0 or fr != old_root or sr != new_root:
        raise ProofError(
            f"the tree of size {old_size} (root {old_root.hex()}) is not a prefix of the tree of size "
            f"{new_size} (root {new_root.hex()})"
        )


def _trailing_zeros(value: int) -> int:
    return (value & -value).bit_length() - 1


def _split_point(width: int) -> int:
    """RFC 9162's k: the largest power of two strictly smaller than `width` (width >= 2)."""
    return 1 << ((width - 1).bit_length() - 1)


def _inclusion_spans(lo: int, hi: int, index: int) -> list[Span]:
    """RFC 9162 PATH(m, D[lo:hi]) as subtree spans, leaf end first."""
    if hi - lo == 1:
        return []
    mid = lo + _split_point(hi - lo)
    if index < mid:
        return [*_inclusion_spans(lo, mid, index), (mid, hi)]
    return [*_inclusion_spans(mid, hi, index), (lo, mid)]


def _consistency_spans(lo: int, hi: int, old_size: int) -> list[Span]:
    """RFC 9162 SUBPROOF(m, D[lo:hi], b) as subtree spans; b holds exactly while lo == 0."""
    if old_size == hi:
        return [] if lo == 0 else [(lo, hi)]
    mid = lo + _split_point(hi - lo)
    if old_size <= mid:
        return [*_consistency_spans(lo, mid, old_size), (mid, hi)]
    return [*_consistency_spans(mid, hi, old_size), (lo, mid)]


def _perfect_subtrees(lo: int, hi: int) -> list[int]:
    """Storage indexes of the stored (perfect) subtrees that together make up leaves [lo, hi)."""
    indexes = []
    while lo < hi:
        width = _split_point(hi - lo + 1)  # largest power of two <= hi - lo
        level = width.bit_length() - 1
        indexes.append(stored_hash_index(level, lo >> level))
        lo += width
    return indexes


def _span_hashes(spans: Sequence[Span], read_hashes: ReadHashes) -> list[bytes]:
    """Hash of each span, from one read of the stored subtrees they decompose into."""
    parts = [_perfect_subtrees(lo, hi) for lo, hi in spans]
    stored = iter(_read(read_hashes, [index for part in parts for index in part]))
    hashes = []
    for part in parts:
        pieces = [next(stored) for _ in part]
        root = pieces[-1]
        for piece in reversed(pieces[:-1]):
            root = node_hash(piece, root)
        hashes.append(root)
    return hashes


def _read(read_hashes: ReadHashes, indexes: list[int]) -> list[bytes]:
    if not indexes:
        return []
    hashes = read_hashes(indexes)
    if len(hashes) != len(indexes):
        raise StorageError(f"read_hashes returned {len(hashes)} hashes for {len(indexes)} storage indexes")
    for index, value in zip(indexes, hashes, strict=True):
        if len(value) != HASH_SIZE:
            raise StorageError(f"stored hash {index} is {len(value)} bytes, not {HASH_SIZE}")
    return hashes
