"""When each request arrives. One sampler per timing law, all vectorized over a block of rows.

People's sessions are placed by local-time rhythms (per-account busy days, weekday/weekend
hour profiles) and then unrolled turn by turn with reading/typing gaps; services arrive round
the clock; eval runs start at a cron time; a bot ticks like a clock; swarms work in the
campaign's shared windows. Every sampler keeps rows inside [account active_from, window end).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from distillgov.traffic.simulator.frame import Frame, segment_cumsum
from distillgov.traffic.simulator.plan import DAY_US, HOUR_US, SECOND_US, Plan
from distillgov.traffic.simulator.spec import Nightly, Periodic, Sessions, Steady, Timing, Waves
from distillgov.traffic.simulator.world import hourly_profile

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]
_RETRIES = 24
_RUN_JITTER_US = 120 * SECOND_US  # cron start-up jitter


def _weekend(local_day: I64) -> I64:
    """1 for Saturday/Sunday: 1970-01-01 (day 0) was a Thursday."""
    return (((local_day + 3) % 7) >= 5).astype(np.int64)


def _row_cdf_pick(cdf: F64, owner: I64, u: F64) -> I64:
    """Column drawn from each owner's row of a row-normalized CDF matrix, in one searchsorted."""
    rows, cols = cdf.shape
    flat = (cdf + np.arange(rows)[:, None]).ravel()
    picked = np.searchsorted(flat, owner + np.minimum(u, 1.0 - 1e-12), side="right") - owner * cols
    result: I64 = np.clip(picked, 0, cols - 1)
    return result


def _place_sessions(
    timing: Sessions, account: I64, duration: I64, plan: Plan, rng: np.random.Generator
) -> I64:
    """Start times for sessions: a busy-day draw per account, then an hour from the local rhythm."""
    accounts, window = plan.accounts, plan.window
    unique, owner = np.unique(account, return_inverse=True)
    tz = accounts.tz_minutes[unique].astype(np.int64) * 60 * SECOND_US
    active = accounts.active_from_us[unique]
    span = window.days + 1
    day = (window.start_us + tz) // DAY_US
    local_day = day[:, None] + np.arange(span)[None, :]
    weekend = _weekend(local_day)
    profile = hourly_profile(timing.rhythm)
    day_start = local_day * DAY_US - tz[:, None]
    usable = (day_start + DAY_US > active[:, None]) & (day_start < window.end_us)
    weight = rng.gamma(timing.day_spread, size=local_day.shape) * profile.sum(axis=1)[weekend] * usable
    weight[weight.sum(axis=1) == 0] = usable[weight.sum(axis=1) == 0]
    day_cdf = np.cumsum(weight, axis=1) / weight.sum(axis=1, keepdims=True)
    hour_cdf = np.cumsum(profile, axis=1) / profile.sum(axis=1, keepdims=True)

    starts = np.zeros(len(account), dtype=np.int64)
    pending = np.arange(len(account))
    for _ in range(_RETRIES):
        who = owner[pending]
        j = _row_cdf_pick(day_cdf, who, rng.random(len(pending)))
        hour = _row_cdf_pick(hour_cdf, weekend[who, j], rng.random(len(pending)))
        t = day_start[who, j] + hour * HOUR_US + (rng.random(len(pending)) * HOUR_US).astype(np.int64)
        fits = (t >= active[who]) & (t + duration[pending] < window.end_us)
        starts[pending] = t
        pending = pending[~fits]
        if len(pending) == 0:
            break
    latest = np.maximum(active[owner], window.end_us - duration - 1)
    return np.clip(starts, active[owner], latest)


def sessions(
    timing: Sessions, frame: Frame, plan: Plan, rng: np.random.Generator, generation_seconds: F64
) -> I64:
    """Sessions of conversations: gaps to read the previous answer and type, longer between conversations."""
    n = len(frame)
    gap = np.where(frame.conversation_start, timing.pause.sample(rng, n), timing.think.sample(rng, n))
    gap += np.r_[0.0, generation_seconds[:-1]]
    gap[frame.session_start] = 0.0
    offset = (segment_cumsum(gap, frame.session_start) * SECOND_US).astype(np.int64)
    first = np.flatnonzero(frame.session_start)
    last = np.r_[first[1:], n] - 1
    starts = _place_sessions(timing, frame.account[first], offset[last], plan, rng)
    return starts[frame.session] + offset


def steady(
    timing: Steady, frame: Frame, plan: Plan, rng: np.random.Generator, _generation_seconds: F64
) -> I64:
    """Independent arrivals, thinned by the rhythm's intensity in the account's local time."""
    accounts, window = plan.accounts, plan.window
    low = accounts.active_from_us[frame.account]
    tz = accounts.tz_minutes[frame.account].astype(np.int64) * 60 * SECOND_US
    profile = hourly_profile(timing.rhythm)
    intensity: F64 = (1.0 - timing.amplitude) + timing.amplitude * profile / profile.max()
    intensity = intensity / intensity.max()
    times = np.zeros(len(frame), dtype=np.int64)
    pending = np.arange(len(frame))
    for _ in range(_RETRIES * 4):
        t = low[pending] + (rng.random(len(pending)) * (window.end_us - low[pending])).astype(np.int64)
        local = t + tz[pending]
        keep = rng.random(len(pending)) < intensity[_weekend(local // DAY_US), (local // HOUR_US) % 24]
        times[pending] = t
        pending = pending[~keep]
        if len(pending) == 0:
            break
    return times


def nightly(
    timing: Nightly, frame: Frame, plan: Plan, rng: np.random.Generator, _generation_seconds: F64
) -> I64:
    """Benchmark runs: evenly spaced from the account's cron offset, as many a day as its volume
    needs (one a night for most), with one extra run shortly after a model release; requests
    inside a run follow each other back to back."""
    accounts, window = plan.accounts, plan.window
    per_run = accounts.items[frame.account].astype(np.int64) * accounts.slots[frame.account]
    run = frame.seq // per_run
    cron = accounts.cron_us[frame.account]
    runs = -(-accounts.rows[frame.account] // per_run)
    spacing = DAY_US // np.maximum(1, -(-runs // window.days))
    scheduled = run
    release_start = np.zeros(len(frame), dtype=np.int64)
    is_release = np.zeros(len(frame), dtype=bool)
    if window.release_us is not None:
        release_start[:] = window.release_us + int(timing.release_delay_hours * HOUR_US)
        before = np.maximum(-(-(release_start - window.start_us - cron) // spacing), 0)
        is_release = run == before
        scheduled = np.where(run > before, run - 1, run)
    start = np.where(is_release, release_start, window.start_us + cron + scheduled * spacing)
    first = frame.seq % per_run == 0
    jitter = rng.normal(0.0, _RUN_JITTER_US, size=int(first.sum())).astype(np.int64)
    gap = np.where(first, 0.0, timing.request_seconds.sample(rng, len(frame)))
    offset = (segment_cumsum(gap, first) * SECOND_US).astype(np.int64)
    times = start + jitter[np.cumsum(first) - 1] + offset
    result: I64 = np.clip(times, accounts.active_from_us[frame.account], window.end_us - 1)
    return result


def periodic(
    timing: Periodic, frame: Frame, plan: Plan, rng: np.random.Generator, _generation_seconds: F64
) -> I64:
    """Evenly spaced requests from the account's first moment to the end of the window."""
    accounts, window = plan.accounts, plan.window
    low = accounts.active_from_us[frame.account]
    period = (window.end_us - low) / accounts.rows[frame.account]
    slot = frame.seq + 0.5 + timing.jitter * rng.standard_normal(len(frame))
    return np.clip(low + (slot * period).astype(np.int64), low, window.end_us - 1)


def waves(timing: Waves, frame: Frame, plan: Plan, rng: np.random.Generator, _generation_seconds: F64) -> I64:
    """Requests inside the campaign's shared work windows; each account joins some windows,
    a little late or early, once it exists."""
    accounts, groups, window = plan.accounts, plan.groups, plan.window
    unique, owner = np.unique(frame.account, return_inverse=True)
    group = accounts.group[unique]
    count = groups.wave_count[group]
    width = int(count.max())
    column = np.arange(width)[None, :]
    index = groups.wave_offset[group][:, None] + np.minimum(column, count[:, None] - 1)
    start = groups.wave_start_us[index]
    length = groups.wave_length_us[group][:, None]
    active = accounts.active_from_us[unique][:, None]
    open_ = (column < count[:, None]) & (start + length > active)
    chosen = open_ & (rng.random(open_.shape) < timing.participation)
    first_open = np.argmax(open_, axis=1)
    none = ~chosen.any(axis=1) & open_.any(axis=1)
    chosen[np.flatnonzero(none), first_open[none]] = True
    idle = np.asarray(~chosen.any(axis=1))
    chosen[idle] = True  # no window left: work uniformly over the rest of the window instead
    weight = chosen.astype(np.float64)
    wave = _row_cdf_pick(
        np.cumsum(weight, axis=1) / weight.sum(axis=1, keepdims=True), owner, rng.random(len(frame))
    )
    shift = (rng.normal(0.0, timing.jitter_minutes, size=len(unique)) * 60 * SECOND_US).astype(np.int64)
    times = start[owner, wave] + shift[owner] + (rng.random(len(frame)) * length[owner, 0]).astype(np.int64)
    low = accounts.active_from_us[frame.account]
    uniform = low + (rng.random(len(frame)) * (window.end_us - low)).astype(np.int64)
    times = np.where(idle[owner], uniform, times)
    return np.clip(times, low, window.end_us - 1)


def arrival_times(
    timing: Timing, frame: Frame, plan: Plan, rng: np.random.Generator, generation_seconds: F64
) -> I64:
    """Epoch microseconds of each row's request under the behaviour's timing law."""
    match timing:
        case Sessions():
            return sessions(timing, frame, plan, rng, generation_seconds)
        case Steady():
            return steady(timing, frame, plan, rng, generation_seconds)
        case Nightly():
            return nightly(timing, frame, plan, rng, generation_seconds)
        case Periodic():
            return periodic(timing, frame, plan, rng, generation_seconds)
        case Waves():
            return waves(timing, frame, plan, rng, generation_seconds)
    raise TypeError(f"unknown timing {timing!r}")
