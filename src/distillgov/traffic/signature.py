"""MinHash signatures of prompts: near-duplicate detection without keeping the text.

Under `ingest --drop-text` the store keeps, per prompt, only its length and this signature;
detection later computes the same signature over prompts it still has (or over a case's
evidence) and compares. That only works if a signature means the same thing everywhere, so
the algorithm below is fully specified and uses no hash that varies between processes,
platforms or library versions (no Python `hash()`, no DuckDB `hash()`):

1. Tokenize: Unicode lowercase (Arrow's `utf8_lower`), then a token is a maximal run of word
   characters, as UTF-8 bytes. Word characters are ASCII letters and digits and every
   non-ASCII character except U+00A0-U+00BF, U+2000-U+207F and U+3000-U+303F (Latin-1,
   general and CJK punctuation and spaces). Everything else separates tokens. (Scripts
   written without spaces therefore form long tokens; near-duplicates are still found
   through shared punctuation-delimited runs, but less sharply.)
2. Token hash: polynomial hash of the bytes, `p = sum(b[i] * P**(n-1-i)) mod 2**64`, then
   `t = splitmix64(p + n)`.
3. Shingles: word 3-shingles `splitmix64(t[j] * K1 + t[j+1] * K2 + t[j+2])`; a text with only
   one or two tokens uses unigrams `splitmix64(t[j] ^ UNIGRAM_SEED)` so that short prompts
   still get a signature. A text with no token (null, empty, punctuation only) gets null.
4. MinHash: for k in 0..15, `h_k(s) = ((A[k] * s + B[k]) mod 2**64) >> 32` (multiply-shift,
   `A[k]` odd); the signature is `min h_k` over the text's shingles, as 16 x uint32.

All arithmetic is unsigned 64-bit with wrap-around, which numpy performs identically on every
platform; tokenization classifies bytes with a fixed table instead of a regex engine. Only
the lowercase mapping comes from a library (utf8proc), where a future Unicode version could
change the result for characters it newly assigns.
"""

from __future__ import annotations

from typing import Any, cast

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

SIGNATURE_SIZE = 16
SIGNATURE_TYPE = pa.list_(pa.uint32(), SIGNATURE_SIZE)

_MASK64 = (1 << 64) - 1
_POLY_BASE = 0x100000001B3  # FNV-64 prime, used here as an odd polynomial base
_K1 = 0x9E3779B97F4A7C15
_K2 = 0xC2B2AE3D27D4EB4F
_UNIGRAM_SEED = 0x165667B19E3779F9
_PERMUTATION_SEED = 0x5EED_D157_111A_7E00
_CHUNK_BYTES = 4 << 20  # bounds the uint64 work arrays to a few tens of MiB

# Byte classes of step 1: ASCII letters and digits and every non-ASCII byte are word bytes ...
_WORD_BYTE = np.zeros(256, dtype=bool)
_WORD_BYTE[[*range(ord("0"), ord("9") + 1), *range(ord("a"), ord("z") + 1), *range(0x80, 0x100)]] = True
# ... except these UTF-8 sequences (lead byte, second byte range, length): U+00A0-U+00BF,
# U+2000-U+207F and U+3000-U+303F, the Latin-1, general and CJK punctuation and spaces.
_SEPARATOR_SEQUENCES = ((0xC2, 0xA0, 0xBF, 2), (0xE2, 0x80, 0x81, 3), (0xE3, 0x80, 0x80, 3))

U64 = npt.NDArray[np.uint64]


def _splitmix64_int(x: int) -> int:
    """Scalar splitmix64 finalizer; used only to derive the fixed permutation constants."""
    x = (x + 0x9E3779B97F4A7C15) & _MASK64
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _MASK64
    return x ^ (x >> 31)


def _permutations() -> tuple[U64, U64]:
    a, b = [], []
    state = _PERMUTATION_SEED
    for _ in range(SIGNATURE_SIZE):
        state = _splitmix64_int(state)
        a.append(state | 1)
        state = _splitmix64_int(state)
        b.append(state)
    return np.array(a, dtype=np.uint64), np.array(b, dtype=np.uint64)


PERMUTATION_A, PERMUTATION_B = _permutations()


def splitmix64(x: U64) -> U64:
    """Vectorized splitmix64 finalizer (wrap-around uint64 arithmetic)."""
    with np.errstate(over="ignore"):
        x = x + np.uint64(0x9E3779B97F4A7C15)
        x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return cast(U64, x ^ (x >> np.uint64(31)))


def _large_string_buffers(strings: pa.Array[Any]) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.uint8]]:
    """Offsets (rebased to 0) and bytes of a large string/binary array, without copying the bytes."""
    buffers = strings.buffers()
    offsets = np.frombuffer(
        memoryview(cast(pa.Buffer, buffers[1])),
        dtype=np.int64,
        count=len(strings) + 1,
        offset=strings.offset * 8,
    )
    data = buffers[2]
    raw = np.frombuffer(memoryview(data), dtype=np.uint8) if data is not None else np.zeros(0, dtype=np.uint8)
    return offsets - offsets[0], raw[offsets[0] : offsets[-1]]


def _word_bytes(data: npt.NDArray[np.uint8]) -> npt.NDArray[np.bool_]:
    """Step 1's character classes, decided on UTF-8 bytes so that no regex engine is involved."""
    is_word = _WORD_BYTE[data]
    for lead, lo, hi, width in _SEPARATOR_SEQUENCES:
        at = np.flatnonzero(data[: len(data) - width + 1] == lead)
        at = at[(data[at + 1] >= lo) & (data[at + 1] <= hi)]
        for k in range(width):
            is_word[at + k] = False
    return is_word


def _tokens(texts: pa.Array[Any]) -> tuple[npt.NDArray[np.int64], pa.Array[Any]]:
    """Step 1: how many tokens each text has, and all tokens in order as one string array."""
    offsets, data = _large_string_buffers(pc.utf8_lower(texts))
    is_word = _word_bytes(data)
    boundary = np.zeros(len(data) + 1, dtype=bool)
    boundary[offsets] = True  # a token never runs across two texts
    previous_word = np.concatenate(([False], is_word[:-1])) & ~boundary[:-1]
    next_word = np.concatenate((is_word[1:], [False])) & ~boundary[1:]
    starts = np.flatnonzero(is_word & ~previous_word)
    lengths = np.flatnonzero(is_word & ~next_word) + 1 - starts
    counts = np.diff(np.searchsorted(starts, offsets)).astype(np.int64)
    # The tokens are the word bytes with the separators taken out.
    packed = data[is_word]
    token_offsets = np.concatenate(([0], np.cumsum(lengths))).astype(np.int64)
    # ndarrays support the buffer protocol; the numpy stubs for Python 3.11 do not say so.
    offsets_buffer = pa.py_buffer(token_offsets)  # type: ignore[arg-type]
    tokens = pa.Array.from_buffers(
        pa.large_binary(),
        len(starts),
        [None, offsets_buffer, pa.py_buffer(packed)],  # type: ignore[arg-type]
    )
    return counts, tokens


def _powers(count: int) -> U64:
    """P**e mod 2**64 for e in 0..count-1, built by doubling rather than a loop per entry."""
    powers = np.ones(1, dtype=np.uint64)
    with np.errstate(over="ignore"):
        while len(powers) < count:
            step = powers[-1] * np.uint64(_POLY_BASE)  # P**len(powers)
            powers = np.concatenate((powers, powers * step))
    return powers[:count]


def _distinct_token_hashes(tokens: pa.Array[Any]) -> U64:
    """Step 2 for tokens stored back to back: polynomial hash of the bytes, then splitmix64(p + n)."""
    if len(tokens) == 0:
        return np.zeros(0, dtype=np.uint64)
    offsets, data = _large_string_buffers(tokens)
    lengths = np.diff(offsets)
    packed = np.arange(len(data))
    exponents = np.repeat(offsets[1:] - 1, lengths) - packed
    with np.errstate(over="ignore"):
        weighted = data.astype(np.uint64) * _powers(int(lengths.max()))[exponents]
        sums = np.add.reduceat(weighted, offsets[:-1])
        return splitmix64(sums + lengths.astype(np.uint64))


def _token_hashes(tokens: pa.Array[Any]) -> U64:
    """Step 2 for every token. Text repeats words, so only the distinct ones are hashed."""
    encoded = cast("pa.DictionaryArray[Any, Any]", pc.dictionary_encode(tokens))
    distinct = _distinct_token_hashes(encoded.dictionary)
    indices = np.asarray(encoded.indices.to_numpy(zero_copy_only=False), dtype=np.int64)
    return distinct[indices]


def _shingles(token_hash: U64, counts: npt.NDArray[np.int64]) -> tuple[U64, npt.NDArray[np.int64]]:
    """Step 3: shingle hashes of every text in text order, and how many each text has."""
    n = len(token_hash)
    shingle_counts = np.where(counts >= 3, counts - 2, counts)
    token_start = np.concatenate(([0], np.cumsum(counts)[:-1]))
    shingle_start = np.concatenate(([0], np.cumsum(shingle_counts)[:-1]))
    # Shingle j of a text begins at the text's token j.
    kept = np.arange(int(shingle_counts.sum())) + np.repeat(token_start - shingle_start, shingle_counts)
    short = np.repeat(counts < 3, shingle_counts)
    first = token_hash[kept]
    second = token_hash[np.minimum(kept + 1, n - 1)]
    third = token_hash[np.minimum(kept + 2, n - 1)]
    with np.errstate(over="ignore"):
        shingles = splitmix64(first * np.uint64(_K1) + second * np.uint64(_K2) + third)
    if short.any():
        shingles[short] = splitmix64(first[short] ^ np.uint64(_UNIGRAM_SEED))
    return shingles, shingle_counts


def _minhash(shingles: U64, shingle_counts: npt.NDArray[np.int64]) -> npt.NDArray[np.uint32]:
    """Step 4: per text, the minimum of each of the 16 multiply-shift hashes."""
    out = np.zeros((len(shingle_counts), SIGNATURE_SIZE), dtype=np.uint32)
    has = shingle_counts > 0
    if not has.any():
        return out
    starts = np.concatenate(([0], np.cumsum(shingle_counts)[:-1]))[has]
    hashed = np.empty_like(shingles)
    with np.errstate(over="ignore"):
        for k in range(SIGNATURE_SIZE):
            np.multiply(shingles, PERMUTATION_A[k], out=hashed)
            np.add(hashed, PERMUTATION_B[k], out=hashed)
            out[has, k] = np.minimum.reduceat(hashed >> np.uint64(32), starts)
    return out


def _signature_chunk(texts: pa.Array[Any]) -> tuple[npt.NDArray[np.uint32], npt.NDArray[np.bool_]]:
    counts, tokens = _tokens(texts)
    shingles, shingle_counts = _shingles(_token_hashes(tokens), counts)
    return _minhash(shingles, shingle_counts), shingle_counts > 0


def minhash_signatures(texts: pa.Array[Any] | pa.ChunkedArray[Any]) -> pa.FixedSizeListArray[Any]:
    """16 x uint32 MinHash of each text's word 3-shingles (unigrams for 1-2 word texts).

    Null where a text is null or has no word. The same text always gives the same signature,
    in any process, on any platform; see the module docstring for the exact definition.
    """
    if isinstance(texts, pa.ChunkedArray):
        texts = texts.combine_chunks()
    texts = texts.cast(pa.large_string())
    ends = _large_string_buffers(texts)[0][1:]  # bytes up to the end of each text
    # Cut into chunks of about _CHUNK_BYTES so that the uint64 work arrays stay small.
    cuts = np.searchsorted(
        ends, np.arange(_CHUNK_BYTES, int(ends[-1]) if len(ends) else 0, _CHUNK_BYTES), side="right"
    )
    bounds = np.unique(np.concatenate(([0], cuts, [len(texts)])))
    parts = [
        _signature_chunk(texts.slice(lo, hi - lo))
        for lo, hi in zip(bounds[:-1].tolist(), bounds[1:].tolist(), strict=True)
    ]
    values = (
        np.concatenate([p[0] for p in parts]) if parts else np.zeros((0, SIGNATURE_SIZE), dtype=np.uint32)
    )
    valid = np.concatenate([p[1] for p in parts]) if parts else np.zeros(0, dtype=bool)
    flat_values = pa.array(values.reshape(-1), type=pa.uint32())
    mask = pa.array(~valid)
    return cast(
        "pa.FixedSizeListArray[Any]",
        pa.FixedSizeListArray.from_arrays(flat_values, SIGNATURE_SIZE, mask=mask),
    )


def signature_matrix(signatures: pa.Array[Any] | pa.ChunkedArray[Any]) -> npt.NDArray[np.uint32]:
    """Signatures as an (n, 16) uint32 matrix; null signatures become rows of zeros."""
    if isinstance(signatures, pa.ChunkedArray):
        signatures = signatures.combine_chunks()
    filled = pc.fill_null(signatures, pa.scalar([0] * SIGNATURE_SIZE, type=SIGNATURE_TYPE))
    flat = cast("pa.FixedSizeListArray[Any]", filled).flatten()
    return np.asarray(flat.to_numpy(zero_copy_only=False), dtype=np.uint32).reshape(-1, SIGNATURE_SIZE)


def estimated_jaccard(a: npt.ArrayLike, b: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """Estimated Jaccard similarity of the shingle sets: the fraction of equal MinHash slots.

    Takes two signatures, or two (n, 16) matrices compared row by row (see `signature_matrix`).
    """
    left = np.asarray(a, dtype=np.uint32)
    right = np.asarray(b, dtype=np.uint32)
    return cast(npt.NDArray[np.float64], np.mean(left == right, axis=-1, dtype=np.float64))
