"""The few Arrow compute kernels the simulator uses, typed once at the boundary.

pyarrow-stubs types each kernel by the exact array subclass, while the simulator's arrays are
only known to be string or integer arrays at run time; wrapping the calls here keeps the rest
of the code free of casts.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeAlias

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as _pc

pc: Any = _pc
Array: TypeAlias = "pa.Array[Any]"


def to_numpy(array: Array) -> npt.NDArray[Any]:
    return np.asarray(array.to_numpy(zero_copy_only=False))


def char_lengths(texts: Array) -> npt.NDArray[np.int64]:
    return to_numpy(pc.utf8_length(texts)).astype(np.int64)


def byte_lengths(texts: Array) -> npt.NDArray[np.int64]:
    return to_numpy(pc.binary_length(texts)).astype(np.int64)


def join(pieces: Sequence[Array], separator: str = "") -> Array:
    """Element-wise concatenation of same-length string arrays."""
    result: Array = pc.binary_join_element_wise(*pieces, pa.scalar(separator, pieces[0].type))
    return result


def prefix(texts: Array, chars: int) -> Array:
    """The first `chars` code points of every string."""
    result: Array = pc.utf8_slice_codeunits(texts, 0, chars)
    return result


def where(mask: npt.NDArray[np.bool_], when_true: Array | pa.Scalar[Any], when_false: Array) -> Array:
    result: Array = pc.if_else(pa.array(mask, pa.bool_()), when_true, when_false)
    return result


def replace_masked(values: Array, mask: npt.NDArray[np.bool_], replacements: Array) -> Array:
    """`values` with the masked positions replaced, in order, by `replacements`."""
    result: Array = pc.replace_with_mask(values, pa.array(mask, pa.bool_()), replacements)
    return result


def first_match(texts: Array, pattern: str, fallback_chars: int) -> Array:
    """The `match` group of a regex per string, else the first `fallback_chars` characters."""
    found = pc.struct_field(pc.extract_regex(texts, pattern), "match")
    result: Array = pc.coalesce(found, pc.utf8_slice_codeunits(texts, 0, fallback_chars))
    return result


def value_counts(values: Array) -> dict[str, int]:
    counts = pc.value_counts(values)
    keys = counts.field("values").to_pylist()
    numbers = counts.field("counts").to_pylist()
    return {str(k): int(n) for k, n in sorted(zip(keys, numbers, strict=True), key=lambda kn: str(kn[0]))}


def sort_indices(table: pa.Table, column: str) -> Array:
    result: Array = pc.sort_indices(table, [(column, "ascending")])
    return result
