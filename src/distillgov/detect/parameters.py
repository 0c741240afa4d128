"""Detection parameters: every knob that changes a finding, recorded in the findings' `parameters`.

Imports nothing heavy: the command line reads these names to build `--help`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

PROMPT_DISPLAYS = ("hashed", "redacted", "full")
ENGINES = ("duckdb", "pyspark")  # where the aggregates run (engines.py)
DEFAULT_MEMORY_LIMIT = "3GB"  # DuckDB's share; Python holds the (much smaller) partials beside it
SAMPLE_PER_ACCOUNT = 32  # prompts per account kept for text signals, template families and evidence


@dataclass(frozen=True)
class DetectParameters:
    """Defaults are chosen from first principles and documented in docs/detect.md, not from labels."""

    target_fpr: float = 0.001  # share of accounts the flag threshold aims to flag wrongly at most
    baseline_percentile: float = 99.0  # the benign high percentile a signal must exceed to count
    min_requests: int = 10  # fewer requests than this are not assessed (shares would be noise)
    min_score: float = 0.25  # materiality: weaker evidence is never flagged, whatever the calibration
    saturation: float = 4.0  # a ratio signal at this multiple of its baseline has full strength
    max_link_group: int = 2000  # identity values shared by more accounts link no one
    sample_per_account: int = SAMPLE_PER_ACCOUNT  # prompts per account for templates and text signals
    prompt_display: str = "hashed"  # how sample prompts appear in findings: hashed | redacted | full
    sample_prompts: int = 5  # sample prompts listed per campaign

    def __post_init__(self) -> None:
        if not 0 < self.target_fpr < 1:
            raise ValueError("target FPR must be in (0, 1)")
        if not 50 <= self.baseline_percentile < 100:
            raise ValueError("baseline percentile must be in [50, 100)")
        if self.prompt_display not in PROMPT_DISPLAYS:
            raise ValueError(f"prompt display must be one of {', '.join(PROMPT_DISPLAYS)}")
        if self.saturation <= 1:
            raise ValueError("saturation must exceed 1")

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)
