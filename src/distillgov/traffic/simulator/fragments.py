"""The fragment pool: every piece of text a prompt or completion is assembled from, held once.

A request's prompt is the concatenation of a few fragments (an instruction, a task, an
elicitation, ...), each drawn from a named *slot* (a list of fragment indices). Rows therefore
carry small integers instead of text until the final write, which keeps the sort by time narrow
and lets rendering be a handful of Arrow `take` + join kernels per batch. Fragments may name a
*reply* fragment (a real ChatGPT answer for a ShareGPT question, the worked answer of a
benchmark item), so completions stay paired with their prompts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from distillgov.traffic.simulator.arrowops import Array, byte_lengths, char_lengths

I32 = npt.NDArray[np.int32]
I64 = npt.NDArray[np.int64]


def estimate_tokens(texts: Array) -> I32:
    """Tokens a BPE tokenizer would spend: ~4 characters each for Latin text, ~1 per CJK character."""
    chars = char_lengths(texts).astype(np.float64)
    extra_bytes = byte_lengths(texts) - chars
    tokens = np.ceil(chars / 4.0 + extra_bytes / 3.0)
    return np.where(chars > 0, np.maximum(tokens, 1), 0).astype(np.int32)


@dataclass
class FragmentPool:
    """All fragments (index 0 is the empty string), their token counts and replies, and the slots."""

    texts: Array
    tokens: I32
    reply: I32  # fragment index of the natural reply, or -1
    slot_names: dict[str, int]
    slot_offset: I64
    slot_count: I64
    members: I32  # slot s holds members[slot_offset[s] : slot_offset[s] + slot_count[s]]

    def slot(self, name: str) -> int:
        return self.slot_names[name]

    def pick(self, slots: npt.NDArray[np.integer], u: npt.NDArray[np.floating]) -> I32:
        """Fragment chosen from each row's slot by a uniform draw (a literal slot has one member)."""
        count = self.slot_count[slots]
        within = np.minimum((u * count).astype(np.int64), count - 1)
        picked: I32 = self.members[self.slot_offset[slots] + within]
        return picked

    def members_of(self, name: str) -> I32:
        s = self.slot_names[name]
        return self.members[self.slot_offset[s] : self.slot_offset[s] + self.slot_count[s]]


@dataclass
class PoolBuilder:
    """Accumulates fragments and slots; literals are deduplicated into one-member slots."""

    _chunks: list[Array] = field(default_factory=lambda: [pa.array([""], type=pa.large_string())])
    _replies: list[I32] = field(default_factory=lambda: [np.array([-1], dtype=np.int32)])
    _size: int = 1
    _slots: dict[str, I32] = field(default_factory=dict)

    def fragments(self, texts: Array | Sequence[str], replies: I32 | None = None) -> I32:
        """Append texts as new fragments and return their indices."""
        array = (
            texts.cast(pa.large_string())
            if isinstance(texts, pa.Array)
            else pa.array(texts, pa.large_string())
        )
        indices = np.arange(self._size, self._size + len(array), dtype=np.int32)
        self._chunks.append(array)
        self._replies.append(
            np.full(len(array), -1, dtype=np.int32) if replies is None else replies.astype(np.int32)
        )
        self._size += len(array)
        return indices

    def slot(self, name: str, members: I32) -> None:
        if name in self._slots:
            raise ValueError(f"slot {name!r} defined twice")
        if len(members) == 0:
            raise ValueError(f"slot {name!r} is empty")
        self._slots[name] = members.astype(np.int32)

    def text_slot(self, name: str, texts: Sequence[str], replies: Sequence[str] | None = None) -> None:
        """A slot of new fragments, optionally each with its own new reply fragment."""
        reply_index = None if replies is None else self.fragments(replies)
        self.slot(name, self.fragments(texts, reply_index))

    def literal(self, text: str) -> str:
        """The name of a one-member slot holding `text` (created on first use)."""
        name = f"literal:{text}"
        if name not in self._slots:
            self.slot(name, self.fragments([text]))
        return name

    def build(self) -> FragmentPool:
        names = list(self._slots)
        counts = np.array([len(self._slots[n]) for n in names], dtype=np.int64)
        offsets = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)
        texts = pa.concat_arrays(self._chunks)
        return FragmentPool(
            texts=texts,
            tokens=estimate_tokens(texts),
            reply=np.concatenate(self._replies),
            slot_names={n: i for i, n in enumerate(names)},
            slot_offset=offsets,
            slot_count=counts,
            members=np.concatenate([self._slots[n] for n in names]).astype(np.int32),
        )
