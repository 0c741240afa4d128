"""Registry of account-level signals: what each measures, why it separates harvesting, its baseline.

A signal is a per-account feature (`reduce.py` computes it under the same name) plus the
metadata a reviewer needs: the family it belongs to, the reason it distinguishes harvesting
from legitimate use, the reference population whose high percentile is its baseline, and the
input columns without which it is not computed. docs/detect.md documents every entry (a test
checks), and scoring reads only this table, so adding a signal is one entry here plus its
feature.

Families:
- `scale`: volume and tempo against what people do (the *Compulife* comparison);
- `shape`: what is asked for and taken away (long, reasoning-rich, single-turn, broad);
- `validation`: exculpatory — the same fixed prompt set replayed is evaluation, not harvesting.
Linkage (shared identities between accounts) is judged per community in `linkage.py`.

Scale signals are *volume* (how much, how fast) or *rhythm* (round the clock, on a schedule);
scale needs volume, since rhythm alone is any automation.
Shape signals have one of two *aspects*: `content` (what is asked: reasoning traces, a sweep of
capability areas, one-shot questions) and `takeaway` (how much text is carried off: long answers,
raised output limits). Harvesting shape needs both. Either alone is ordinary: document-generation
apps and coding agents take long outputs about one task; tutoring apps and people ask for steps
and read short answers.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Family(StrEnum):
    SCALE = "scale"
    SHAPE = "shape"
    VALIDATION = "validation"


class Reference(StrEnum):
    """Whose high percentile is the baseline."""

    HUMAN = "human"  # conversational accounts: the human population of the same traffic
    ALL = "all"  # every account with enough requests (mostly benign)


class Kind(StrEnum):
    """How a value is compared with its baseline."""

    RATIO = "ratio"  # unbounded magnitude: strength grows with log(value / baseline)
    SHARE = "share"  # bounded in [0, 1]: strength is the part of the headroom above baseline used


@dataclass(frozen=True)
class Signal:
    name: str
    family: Family
    reference: Reference
    kind: Kind
    needs: tuple[str, ...]
    unit: str
    why: str


SIGNALS: tuple[Signal, ...] = (
    Signal(
        "requests_per_day",
        Family.SCALE,
        Reference.HUMAN,
        Kind.RATIO,
        (),
        "requests per active day",
        "Harvesting needs volume; a person types and reads. Expressed as a multiple of what the "
        "traffic's own conversational users reach at their high percentile.",
    ),
    Signal(
        "output_tokens_per_day",
        Family.SCALE,
        Reference.HUMAN,
        Kind.RATIO,
        ("output_tokens",),
        "output tokens per active day",
        "What a harvester takes away is generated text; a person can read only so much of it a day.",
    ),
    Signal(
        "requests_per_active_hour",
        Family.SCALE,
        Reference.HUMAN,
        Kind.RATIO,
        (),
        "requests per hour with any activity",
        "Tempo while active: a person needs to read each answer before the next question.",
    ),
    Signal(
        "hours_active_per_day",
        Family.SCALE,
        Reference.HUMAN,
        Kind.RATIO,
        (),
        "active clock hours per day",
        "People sleep and work in shifts; collection jobs keep running.",
    ),
    Signal(
        "clock_hours",
        Family.SCALE,
        Reference.HUMAN,
        Kind.RATIO,
        (),
        "distinct hours of the day used",
        "Round-the-clock activity over the window: every hour of the day used is beyond a person's rhythm.",
    ),
    Signal(
        "arrival_regularity",
        Family.SCALE,
        Reference.HUMAN,
        Kind.RATIO,
        (),
        "mean / standard deviation of inter-arrival gaps",
        "Scheduled collection arrives at even intervals; human requests come in irregular bursts.",
    ),
    Signal(
        "peak_requests_per_minute",
        Family.SCALE,
        Reference.HUMAN,
        Kind.RATIO,
        (),
        "most requests in one minute",
        "Concurrency: parallel workers send many requests in the same minute; a person sends one at a time.",
    ),
    Signal(
        "mean_output_tokens",
        Family.SHAPE,
        Reference.ALL,
        Kind.RATIO,
        ("output_tokens",),
        "output tokens per request",
        "Distillation wants long, complete answers (reasoning traces, full programs); ordinary use, "
        "including most automation, receives short ones.",
    ),
    Signal(
        "mean_max_tokens",
        Family.SHAPE,
        Reference.ALL,
        Kind.RATIO,
        ("max_tokens",),
        "requested output limit",
        "Harvesters raise the output limit to collect the longest possible answers.",
    ),
    Signal(
        "elicitation_share",
        Family.SHAPE,
        Reference.HUMAN,
        Kind.SHARE,
        ("prompt",),
        "share of sampled prompts asking for reasoning",
        "Reasoning-trace distillation asks the model to expose its chain of thought in most prompts.",
    ),
    Signal(
        "capability_breadth",
        Family.SHAPE,
        Reference.ALL,
        Kind.RATIO,
        ("prompt",),
        "effective number of capability areas (exp entropy)",
        "A training set covers reasoning, coding and agentic work at once; an application serves one task.",
    ),
    Signal(
        "single_turn_share",
        Family.SHAPE,
        Reference.ALL,
        Kind.SHARE,
        ("turn_index",),
        "share of exchanges that open a conversation",
        "Harvesting sends independent one-shot questions; people hold conversations.",
    ),
    Signal(
        "replay_share",
        Family.VALIDATION,
        Reference.ALL,
        Kind.SHARE,
        ("prompt",),
        "share of requests repeating a prompt this account sent on another day",
        "The validation defense: an evaluation pipeline replays one fixed prompt set run after run "
        "(across days and models) and learns nothing new from the answers; harvesting keeps asking "
        "new questions. Volume signals count novel prompts only.",
    ),
    Signal(
        "template_repetition",
        Family.VALIDATION,
        Reference.ALL,
        Kind.SHARE,
        ("prompt",),
        "share of sampled prompts near-duplicating another of the account's own",
        "An application wraps each end user's question in its own fixed instructions (a tutoring "
        "app's step-by-step system prompt), so its prompts repeat one template; a harvest asks new "
        "questions. Harvesting shape is multiplied by (1 - this share). Read from the MinHash of the "
        "prompt sample, for accounts with harvesting shape only.",
    ),
)

SIGNALS_BY_NAME: dict[str, Signal] = {s.name: s for s in SIGNALS}


class Aspect(StrEnum):
    """Which half of its family a shape or scale signal speaks to."""

    CONTENT = "content"  # shape: what is asked
    TAKEAWAY = "takeaway"  # shape: how much text is carried off
    VOLUME = "volume"  # scale: how much is collected, and how fast
    RHYTHM = "rhythm"  # scale: when (round the clock, on a schedule) -- automation, not harvesting


SHAPE_ASPECTS: dict[str, Aspect] = {
    "elicitation_share": Aspect.CONTENT,
    "capability_breadth": Aspect.CONTENT,
    "single_turn_share": Aspect.CONTENT,
    "mean_output_tokens": Aspect.TAKEAWAY,
    "mean_max_tokens": Aspect.TAKEAWAY,
}
# Scale needs volume: a tutoring app or a scheduler runs round the clock on a timer at a few
# requests an hour, which is automation, not collection beyond a person. Rhythm corroborates.
SCALE_ASPECTS: dict[str, Aspect] = {
    "requests_per_day": Aspect.VOLUME,
    "output_tokens_per_day": Aspect.VOLUME,
    "requests_per_active_hour": Aspect.VOLUME,
    "peak_requests_per_minute": Aspect.VOLUME,
    "hours_active_per_day": Aspect.RHYTHM,
    "clock_hours": Aspect.RHYTHM,
    "arrival_regularity": Aspect.RHYTHM,
}


MINHASH_SUFFICES = ("replay_share", "template_repetition")  # repeats show in MinHash signatures too


def computable(signal: Signal, absent: set[str]) -> str | None:
    """Why a signal cannot be computed from these inputs, or None when it can."""
    missing = [c for c in signal.needs if c in absent]
    if signal.name in MINHASH_SUFFICES and "prompt" in absent and "prompt_minhash" not in absent:
        missing = []  # MinHash signatures of dropped text identify repeats just as well
    if missing:
        return f"not computed: input has no {', '.join(missing)} column (or it is empty)"
    return None
