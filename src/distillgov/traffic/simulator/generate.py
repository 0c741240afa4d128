"""Generate the rows of a block of accounts as a narrow table of integers.

Text, ids and addresses stay as indices and numbers here; `render.py` turns them into the
canonical columns after the sort by time. One function serves every population: the block's
accounts are split by behaviour and each behaviour's parameters drive the same steps.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from distillgov.traffic.simulator.content import benchmark_position, conversation_history, make_content
from distillgov.traffic.simulator.frame import Frame, segment_starts
from distillgov.traffic.simulator.plan import HOUR_US, MODEL_TIERS, Plan
from distillgov.traffic.simulator.spec import Behavior, ModelChoice, Sessions
from distillgov.traffic.simulator.templates import COMPLETION_PARTS, PROMPT_PARTS, Corpus
from distillgov.traffic.simulator.timing import arrival_times

I64 = npt.NDArray[np.int64]
STATUS = ("ok", "429", "500", "529")
_TOKENS_PER_SECOND = 60.0  # generation speed: a long answer takes a while before the next turn
_FRAMING_TOKENS = 8  # chat-format tokens around every request

NARROW_SCHEMA = pa.schema(
    [
        ("uid", pa.int64()),
        ("ts", pa.int64()),
        ("account", pa.int32()),
        ("conversation", pa.int64()),
        ("turn", pa.int32()),
        ("model", pa.int8()),
        *[(f"p{i}", pa.int32()) for i in range(PROMPT_PARTS)],
        *[(f"c{i}", pa.int32()) for i in range(COMPLETION_PARTS)],
        ("input_tokens", pa.int64()),
        ("output_tokens", pa.int64()),
        ("max_tokens", pa.int32()),
        ("status", pa.int8()),
        ("ip", pa.uint32()),
        ("ua", pa.int32()),
        ("key", pa.int64()),
    ]
)


def _models(
    behavior: Behavior, frame: Frame, times: I64, plan: Plan, rng: np.random.Generator
) -> npt.NDArray[np.int8]:
    """Model tier per row, then the release: a share of flagship traffic ramps onto the new model."""
    models = behavior.models
    if models.choice is ModelChoice.ACCOUNT:
        tier = plan.accounts.model[frame.account].astype(np.int64)
    elif models.choice is ModelChoice.RUN_SLOT:
        tier = benchmark_position(plan, frame)[1]
    else:
        weights = np.array(models.weights)
        tier = rng.choice(MODEL_TIERS, size=len(frame), p=weights / weights.sum())
    release = plan.window.release_us
    if release is not None and models.adoption > 0:
        elapsed = (times - release) / (max(models.ramp_hours, 1e-9) * HOUR_US)
        share = models.adoption * np.clip(elapsed, 0.0, 1.0) * (times >= release)
        tier = np.where((tier == 0) & (rng.random(len(frame)) < share), MODEL_TIERS, tier)
    return tier.astype(np.int8)


def _status(behavior: Behavior, n: int, rng: np.random.Generator) -> npt.NDArray[np.int8]:
    failed = rng.random(n) < behavior.error_rate
    limited = rng.random(n) < behavior.rate_limited
    server = np.where(rng.random(n) < 0.5, 2, 3)
    return np.where(failed, np.where(limited, 1, server), 0).astype(np.int8)


def _ragged_pick(offset: I64, count: npt.NDArray[np.int32], u: npt.NDArray[np.float64]) -> I64:
    return offset + np.minimum((u * count).astype(np.int64), count.astype(np.int64) - 1)


def _behavior_rows(
    index: int, members: I64, plan: Plan, corpus: Corpus, rng: np.random.Generator
) -> pa.Table:
    behavior = plan.behaviors[index]
    network = plan.populations[plan.behavior_population[index]].identity.network
    timing = behavior.timing
    accounts = plan.accounts
    if isinstance(timing, Sessions):
        frame = Frame.build(accounts, members, timing.turns_mean, timing.conversations_per_session, rng)
    else:
        frame = Frame.build(accounts, members, 1.0, 1.0, rng)
    n = len(frame)
    content = make_content(behavior.content, frame, plan, corpus, rng)
    max_tokens = accounts.max_tokens[frame.account].astype(np.int64)
    wanted = np.ceil(content.output_tokens * accounts.output_scale[frame.account]).astype(np.int64)
    output = np.where(max_tokens > 0, np.minimum(wanted, max_tokens), wanted)
    times = arrival_times(timing, frame, plan, rng, output / _TOKENS_PER_SECOND)
    status = _status(behavior, n, rng)
    output = np.where(status == 0, output, 0)
    history = conversation_history(frame, content.prompt_tokens + output)
    input_tokens = _FRAMING_TOKENS + content.hidden_tokens + content.prompt_tokens + history

    # Sticky per session: a person keeps one device, address and key for a sitting.
    session = frame.session
    sticky = rng.random((int(session[-1]) + 1 if n else 0, 3))[session]
    ip_u = rng.random(n) if network.rotate_per_request else sticky[:, 0]
    ip = plan.ip_lists[
        _ragged_pick(accounts.ip_offset[frame.account], accounts.ip_count[frame.account], ip_u)
    ]
    ua = plan.ua_lists[
        _ragged_pick(accounts.ua_offset[frame.account], accounts.ua_count[frame.account], sticky[:, 1])
    ]
    key = _ragged_pick(accounts.key_offset[frame.account], accounts.key_count[frame.account], sticky[:, 2])

    columns: dict[str, npt.ArrayLike] = {
        "uid": frame.uid,
        "ts": times,
        "account": frame.account.astype(np.int32),
        "conversation": frame.uid[segment_starts(frame.conversation_start)],
        "turn": frame.turn.astype(np.int32),
        "model": _models(behavior, frame, times, plan, rng),
        **{f"p{i}": content.prompt[:, i] for i in range(PROMPT_PARTS)},
        **{f"c{i}": content.completion[:, i] for i in range(COMPLETION_PARTS)},
        "input_tokens": input_tokens,
        "output_tokens": output,
        "max_tokens": max_tokens.astype(np.int32),
        "status": status,
        "ip": ip,
        "ua": ua,
        "key": key,
    }
    return pa.table(columns, schema=NARROW_SCHEMA)


def block_bounds(plan: Plan, rows_per_block: int) -> list[tuple[int, int]]:
    """Contiguous account ranges of about `rows_per_block` rows; an account never straddles blocks."""
    ends = np.cumsum(plan.accounts.rows)
    bounds, first = [], 0
    while first < len(ends):
        base = ends[first - 1] if first else 0
        last = int(np.searchsorted(ends, base + rows_per_block, side="right"))
        last = max(last, first + 1)
        bounds.append((first, min(last, len(ends))))
        first = last
    return bounds


def generate_block(plan: Plan, corpus: Corpus, first: int, last: int, block: int) -> pa.Table:
    """All rows of accounts [first, last), deterministic in (seed, block) whatever else runs."""
    rng = np.random.default_rng([plan.seed, 0x524F5753, block])  # "ROWS"
    behaviors = plan.accounts.behavior[first:last]
    tables = []
    for b in np.unique(behaviors):
        members = first + np.flatnonzero(behaviors == b).astype(np.int64)
        tables.append(_behavior_rows(int(b), members, plan, corpus, rng))
    return pa.concat_tables(tables)
