"""The Merkle tree: CT reference vectors, RFC 6962's definition, and proofs that fail when tampered."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tlog_reference import CT_CONSISTENCY, CT_INCLUSION, CT_LEAVES, CT_ROOTS, mth

from distillgov.registry.tlog import merkle
from distillgov.registry.tlog.merkle import ProofError, StorageError

MAX_SIZE = 300


class HashStore:
    """Append-only stored hashes, as the registry's table keeps them."""

    def __init__(self, entries: list[bytes]) -> None:
        self.hashes: list[bytes] = []
        for index, entry in enumerate(entries):
            assert len(self.hashes) == merkle.stored_hash_index(0, index)
            self.hashes += merkle.stored_hashes_for_record(index, entry, self.read)

    def read(self, indexes: Sequence[int]) -> list[bytes]:
        return [self.hashes[i] for i in indexes]


ENTRIES = [f"entry {i}".encode() for i in range(MAX_SIZE)]
STORE = HashStore(ENTRIES)
ROOTS = [merkle.tree_hash(size, STORE.read) for size in range(MAX_SIZE + 1)]


def test_ct_reference_roots() -> None:
    store = HashStore(CT_LEAVES)
    assert [merkle.tree_hash(size, store.read) for size in range(9)] == CT_ROOTS


@pytest.mark.parametrize(("index", "size", "proof"), CT_INCLUSION)
def test_ct_reference_inclusion_proofs(index: int, size: int, proof: list[str]) -> None:
    store = HashStore(CT_LEAVES)
    expected = [bytes.fromhex(h) for h in proof]
    assert merkle.prove_record(size, index, store.read) == expected
    merkle.check_record(expected, size, CT_ROOTS[size], index, merkle.leaf_hash(CT_LEAVES[index]))


@pytest.mark.parametrize(("old", "new", "proof"), CT_CONSISTENCY)
def test_ct_reference_consistency_proofs(old: int, new: int, proof: list[str]) -> None:
    store = HashStore(CT_LEAVES)
    expected = [bytes.fromhex(h) for h in proof]
    assert merkle.prove_tree(new, old, store.read) == expected
    merkle.check_tree(expected, new, CT_ROOTS[new], old, CT_ROOTS[old])


def test_roots_match_rfc_definition_for_every_size() -> None:
    assert [mth(ENTRIES[:size]) for size in range(MAX_SIZE + 1)] == ROOTS
    assert merkle.tree_hash(0, STORE.read) == merkle.EMPTY_ROOT


def test_stored_hash_count_is_the_next_free_index() -> None:
    store = HashStore(ENTRIES[:100])
    assert merkle.stored_hash_count(100) == len(store.hashes)
    assert [merkle.stored_hash_count(n) for n in range(5)] == [0, 1, 3, 4, 7]


@given(st.integers(0, 40), st.integers(0, 2**40))
def test_stored_hash_index_round_trips(level: int, n: int) -> None:
    assert merkle.split_stored_hash_index(merkle.stored_hash_index(level, n)) == (level, n)


def test_every_storage_index_belongs_to_exactly_one_subtree() -> None:
    pairs = [merkle.split_stored_hash_index(i) for i in range(len(STORE.hashes))]
    assert len(set(pairs)) == len(pairs)
    for index, (level, n) in enumerate(pairs):
        first = n << level
        assert STORE.hashes[index] == mth(ENTRIES[first : first + (1 << level)])


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_every_inclusion_proof_verifies_and_tampering_fails(data: st.DataObject) -> None:
    size = data.draw(st.integers(1, MAX_SIZE))
    index = data.draw(st.integers(0, size - 1))
    leaf = merkle.leaf_hash(ENTRIES[index])
    proof = merkle.prove_record(size, index, STORE.read)
    merkle.check_record(proof, size, ROOTS[size], index, leaf)

    with pytest.raises(ProofError):
        merkle.check_record(proof, size, ROOTS[size], index, merkle.leaf_hash(b"changed " + ENTRIES[index]))
    with pytest.raises(ProofError):
        merkle.check_record(proof, size, ROOTS[size - 1] if size > 1 else bytes(32), index, leaf)
    if proof:
        position = data.draw(st.integers(0, len(proof) - 1))
        bit = data.draw(st.integers(0, 255))
        tampered = list(proof)
        tampered[position] = _flip(tampered[position], bit)
        with pytest.raises(ProofError):
            merkle.check_record(tampered, size, ROOTS[size], index, leaf)
        with pytest.raises(ProofError):
            merkle.check_record(proof[:-1], size, ROOTS[size], index, leaf)
    with pytest.raises(ProofError):
        merkle.check_record([*proof, bytes(32)], size, ROOTS[size], index, leaf)
    if size > 1:
        other = (index + 1) % size
        with pytest.raises(ProofError):
            merkle.check_record(proof, size, ROOTS[size], other, leaf)


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_every_consistency_proof_verifies_and_tampering_fails(data: st.DataObject) -> None:
    new = data.draw(st.integers(1, MAX_SIZE))
    old = data.draw(st.integers(1, new))
    proof = merkle.prove_tree(new, old, STORE.read)
    merkle.check_tree(proof, new, ROOTS[new], old, ROOTS[old])

    forked = mth([*ENTRIES[: old - 1], b"rewritten"])
    with pytest.raises(ProofError):
        merkle.check_tree(proof, new, ROOTS[new], old, forked)
    if old < new:
        with pytest.raises(ProofError):
            merkle.check_tree(proof, new, ROOTS[new - 1], old, ROOTS[old])
        position = data.draw(st.integers(0, len(proof) - 1))
        tampered = list(proof)
        tampered[position] = _flip(tampered[position], data.draw(st.integers(0, 255)))
        with pytest.raises(ProofError):
            merkle.check_tree(tampered, new, ROOTS[new], old, ROOTS[old])
        with pytest.raises(ProofError):
            merkle.check_tree(proof[:-1], new, ROOTS[new], old, ROOTS[old])
        with pytest.raises(ProofError):
            merkle.check_tree([*proof, bytes(32)], new, ROOTS[new], old, ROOTS[old])


def test_all_small_trees_exhaustively() -> None:
    for size in range(1, 65):
        for index in range(size):
            proof = merkle.prove_record(size, index, STORE.read)
            merkle.check_record(proof, size, ROOTS[size], index, merkle.leaf_hash(ENTRIES[index]))
        for old in range(1, size + 1):
            merkle.check_tree(merkle.prove_tree(size, old, STORE.read), size, ROOTS[size], old, ROOTS[old])


def test_equal_sizes_need_equal_roots() -> None:
    merkle.check_tree([], 5, ROOTS[5], 5, ROOTS[5])
    with pytest.raises(ProofError, match="forked"):
        merkle.check_tree([], 5, ROOTS[5], 5, mth([b"other"] * 5))


def test_out_of_range_requests_are_refused() -> None:
    with pytest.raises(ValueError, match="not in a tree of size 3"):
        merkle.prove_record(3, 3, STORE.read)
    with pytest.raises(ValueError, match="0 < old size <= new size"):
        merkle.prove_tree(3, 0, STORE.read)
    with pytest.raises(ProofError):
        merkle.check_record([], 3, ROOTS[3], 5, merkle.leaf_hash(ENTRIES[0]))
    with pytest.raises(ValueError):
        merkle.stored_hash_index(-1, 0)


def test_storage_answering_wrongly_is_reported_as_storage_error() -> None:
    with pytest.raises(StorageError, match="returned 0 hashes for"):
        merkle.tree_hash(3, lambda indexes: [])
    with pytest.raises(StorageError, match="is 3 bytes"):
        merkle.stored_hashes_for_record(1, b"x", lambda indexes: [b"abc" for _ in indexes])


def _flip(value: bytes, bit: int) -> bytes:
    changed = bytearray(value)
    changed[bit // 8] ^= 1 << (bit % 8)
    return bytes(changed)
