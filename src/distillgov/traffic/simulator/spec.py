"""The vocabulary of populations: every knob one generic machinery needs, and nothing else.

A population is identity (how its accounts are created, paid for, networked and grouped), a
volume law, and one or more behaviours (timing, content, clients, models). Presets in
`populations.py` are values of these types; no population has code of its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import numpy.typing as npt

from distillgov.traffic.simulator.world import Rhythm


@dataclass(frozen=True)
class LogNormal:
    """A positive quantity given by its median and log-scale spread (heavy right tail)."""

    median: float
    sigma: float

    def sample(self, rng: np.random.Generator, size: int) -> npt.NDArray[np.float64]:
        return self.median * np.exp(self.sigma * rng.standard_normal(size))


# --- timing -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sessions:
    """People: sessions placed by a local-time rhythm, holding conversations of several turns."""

    rhythm: Rhythm
    turns_mean: float = 1.0  # exchanges per conversation (geometric); 1.0 = single-turn
    conversations_per_session: float = 1.5
    think: LogNormal = LogNormal(40.0, 0.9)  # seconds between turns: read the answer, type the next
    pause: LogNormal = LogNormal(240.0, 1.0)  # seconds between conversations of one session
    day_spread: float = 0.7  # gamma shape of per-account day weights: low = a few busy days


@dataclass(frozen=True)
class Steady:
    """Services: independent arrivals round the clock, optionally modulated by a rhythm."""

    rhythm: Rhythm
    amplitude: float  # 0 = flat; 1 = intensity follows the rhythm fully


@dataclass(frozen=True)
class Nightly:
    """Eval pipelines: a cron run each night plus one soon after a model release."""

    hours_utc: tuple[float, float] = (0.0, 6.0)  # window in which each pipeline's cron fires
    request_seconds: LogNormal = LogNormal(0.8, 0.4)  # spacing of requests inside a run
    release_delay_hours: float = 3.0
    spread_days: bool = False  # runs start on a random day (a researcher's sweep), not the first night


@dataclass(frozen=True)
class Periodic:
    """A machine-scale bot: evenly spaced requests all day and night."""

    jitter: float = 0.05  # s.d. of each arrival, as a fraction of the period


@dataclass(frozen=True)
class Waves:
    """Campaign swarms: shared work windows that accounts join, loosely synchronized."""

    per_day: int = 3
    hours: float = 2.5
    participation: float = 0.8  # chance an account works a given wave
    jitter_minutes: float = 12.0  # per-account offset from the wave's start


Timing = Sessions | Steady | Nightly | Periodic | Waves


# --- content, clients, models -------------------------------------------------------------


class ContentMode(StrEnum):
    TEMPLATES = "templates"  # instantiate template families with random fill-ins
    CONVERSATIONS = "conversations"  # replay real multi-turn ShareGPT conversations
    BENCHMARK = "benchmark"  # replay a fixed item subset in a fixed order every run


@dataclass(frozen=True)
class Content:
    mode: ContentMode
    families: tuple[tuple[str, float], ...] = ()
    per_account: bool = False  # one template per account: a production integration does one job
    benchmark_max_items: int = 500  # items an account replays: as many as its volume allows, up to this
    benchmark_models: tuple[int, int] = (3, 3)  # model slots a run sweeps (1 = the flagship only)
    # BENCHMARK: runs per window day an account aims at; items follow from its volume. Nightly
    # harnesses run about daily; a researcher's one-off sweep runs once or twice in the window.
    benchmark_runs_per_day: tuple[float, float] = (1.0, 1.0)


@dataclass(frozen=True)
class Clients:
    families: tuple[tuple[str, float], ...]
    per_account: tuple[int, int] = (1, 1)
    shared_by_group: float = 0.0  # chance that all accounts of a campaign send one client fingerprint


class ModelChoice(StrEnum):
    REQUEST = "request"  # people pick per request
    ACCOUNT = "account"  # integrations pin one model
    RUN_SLOT = "run_slot"  # eval runs sweep every model in a fixed order


@dataclass(frozen=True)
class Models:
    weights: tuple[float, float, float]  # flagship, mid, small
    choice: ModelChoice = ModelChoice.REQUEST
    adoption: float = 0.0  # share of flagship traffic moved to a newly released flagship
    ramp_hours: float = 72.0  # time to reach that share after the release


@dataclass(frozen=True)
class Behavior:
    """How one account acts; a population may mix several (enterprise staff and internal tools).

    For campaigns a behaviour is a *style* chosen per campaign (`Identity.behavior_per_group`):
    one operator runs one pipeline, and different operators harvest different things.
    """

    name: str  # written to the labels file (`behavior`), so results can be broken down by it
    share: float
    timing: Timing
    content: Content
    clients: Clients
    models: Models
    max_tokens: tuple[tuple[int, float], ...]  # per-account setting; 0 = not set
    error_rate: float = 0.01
    rate_limited: float = 0.5  # fraction of errors that are 429s
    volume_factor: float = 1.0  # relative per-account volume against the population's other behaviours
    # Per-account multiplier on output length: the same app or operator asks for the same depth
    # every time, and accounts differ (a terse classifier prompt, a "write at length" system prompt).
    output_scale: LogNormal = LogNormal(1.0, 0.0)


# --- identity and volume --------------------------------------------------------------------


class Grouping(StrEnum):
    NONE = "none"
    ORGANIZATION = "organization"  # shares organization_id, payment, a /24 and an onboarding day
    CAMPAIGN = "campaign"  # one operator: shares proxy pool, cards, clients, creation burst


class NetworkKind(StrEnum):
    RESIDENTIAL = "residential"  # own home/mobile addresses in popular ISP /24s
    CLOUD = "cloud"  # NAT gateways of a cloud deployment
    CORPORATE = "corporate"  # the organization's /24 NAT
    PROXY = "proxy"  # the campaign's rotating pool spanning many residential /24s


@dataclass(frozen=True)
class Network:
    kind: NetworkKind
    addresses: tuple[int, int] = (1, 2)  # per account (per organization for CORPORATE)
    pool_per_account: float = 3.0  # PROXY: pool size relative to the campaign's accounts
    pool_sigma: float = 0.0  # PROXY: spread of that ratio across campaigns (operators buy different plans)
    rotate_per_request: bool = False  # else an address is kept for a session
    at_work: float = 0.0  # RESIDENTIAL: chance an extra address is an employer's NAT (shared by coworkers)
    # Chance an address is an exit that strangers share exactly: carrier-grade NAT for homes and
    # phones, a serverless platform's egress for cloud hosts, a mobile proxy exit for campaigns.
    shared_exit: float = 0.0


class PaymentKind(StrEnum):
    OWN = "own"
    GROUP = "group"  # one card for the organization
    FEW = "few"  # a handful of cards spread over a campaign's accounts


@dataclass(frozen=True)
class Payment:
    kind: PaymentKind
    missing: float = 0.0  # accounts with no card on file (free tier / prepaid credits)
    shared: float = 0.0  # OWN: accounts paying with another account's card (a household, a small team)
    accounts_per_card: float = 1.0  # FEW
    card_sigma: float = 0.0  # FEW: spread of accounts per card across campaigns (some use one card each)


class TimezoneMode(StrEnum):
    ACCOUNT = "account"  # each account its own, from the world distribution
    GROUP = "group"  # an office's or an operator team's zone


@dataclass(frozen=True)
class Identity:
    grouping: Grouping
    network: Network
    payment: Payment
    created_days_ago: tuple[float, float]  # negative = created inside the simulated window
    recency: float = 1.0  # >1 skews creation towards the recent end (a growing customer base)
    group_size: LogNormal = LogNormal(1.0, 0.0)  # accounts per organization or campaign
    group_size_bounds: tuple[int, int] = (1, 1)
    behavior_per_group: bool = False  # behaviours (styles) drawn per organization/campaign, not per account
    # With behavior_per_group: each group also draws a secondary style and puts up to this share of
    # its accounts on it (an operator splitting its accounts between two pipelines).
    style_mix: float = 0.0
    burst_hours: float | None = None  # group members created within this many hours
    burst_sigma: float = 0.0  # spread of that window across groups
    late_joiners: float = 0.0  # share of group members created after the burst
    keys: tuple[int, int] = (1, 2)
    timezone: TimezoneMode = TimezoneMode.ACCOUNT


@dataclass(frozen=True)
class Volume:
    per_account_day: float  # mean exchanges per account per day: sets how many accounts a share needs
    sigma: float  # lognormal spread of volume across accounts
    max_accounts: int | None = None
    # Seeded variation between runs and between groups: the population's typical rate is drawn
    # per run (so the number of accounts differs from seed to seed) and each organization or
    # campaign gets its own rate multiplier (operators pace their pipelines differently).
    rate_sigma: float = 0.0
    group_sigma: float = 0.0


class Category(StrEnum):
    """Who an account is, coarsely: what a benchmark reports false-positive rates by.

    `licensed_distillation` is harvesting that the provider has authorized by contract: the traffic
    looks like a campaign's, and whether to flag it is a policy question, so it is neither benign
    nor a campaign in the labels (its `campaign_id` is null) and is reported on its own.
    """

    PERSON = "person"
    APP = "app"
    EVAL_PIPELINE = "eval_pipeline"
    ENTERPRISE = "enterprise"
    RESEARCH = "research"
    LICENSED = "licensed_distillation"
    CAMPAIGN = "campaign"


@dataclass(frozen=True)
class PopulationSpec:
    label: str  # written to the labels file; never visible in the traffic
    campaign: bool
    category: Category
    rationale: str
    volume: Volume
    identity: Identity
    behaviors: tuple[Behavior, ...]
