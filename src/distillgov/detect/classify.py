"""Text classification of the sampled prompts: reasoning elicitation and capability areas.

Runs in-process on the sample the engine returns, with Arrow's RE2 kernels, for three reasons:
the same code classifies on every engine (Spark's Java regular expressions treat `\\b` and
case folding differently from DuckDB's RE2, so in-engine matching could split findings by
engine); Arrow's kernels run about twice as fast as DuckDB's `regexp_matches` on these
patterns; and matching case-insensitively in the automaton avoids lower-casing every prompt.
Patterns and chunks are matched on a small thread pool (Arrow releases the GIL).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from distillgov.detect.lexicon import CAPABILITY_AREAS, REASONING_ELICITATION

PATTERNS: dict[str, str] = {
    "elicits": REASONING_ELICITATION,
    **{f"cap_{area}": pattern for area, pattern in CAPABILITY_AREAS.items()},
}
_CHUNK_ROWS = 65_536  # work items small enough to keep both cores busy to the end


def classify(sample: pa.Table, threads: int = 2) -> pa.Table:
    """The sample with one 0/1 column per pattern (null where the exchange had no prompt text)."""
    prompts = sample.column("prompt").combine_chunks() if sample.num_rows else pa.array([], pa.string())
    chunks = [prompts.slice(start, _CHUNK_ROWS) for start in range(0, len(prompts), _CHUNK_ROWS)]
    jobs = [(name, chunk) for name in PATTERNS for chunk in chunks]
    with ThreadPoolExecutor(max_workers=max(1, threads)) as pool:
        results = list(pool.map(lambda job: _match(PATTERNS[job[0]], job[1]), jobs))
    out = sample
    for i, name in enumerate(PATTERNS):
        parts = results[i * len(chunks) : (i + 1) * len(chunks)]
        column = pa.chunked_array(parts, pa.int64()) if parts else pa.chunked_array([], pa.int64())
        out = out.append_column(name, column)
    return out


def _match(pattern: str, texts: Any) -> Any:
    return pc.match_substring_regex(texts, pattern, ignore_case=True).cast(pa.int64())
