"""Scale a scenario to a row budget and decide every account: the plan all row generation follows.

Accounts are few next to rows (tens of thousands at 10M rows), so everything account-level —
identity, creation, networks, clients, per-account settings, campaign work windows — is decided
here at once; row generation then only reads these arrays, block by block. Row counts are exact:
each account gets at least one row and the rest are spread by heavy-tailed weights.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np
import numpy.typing as npt

from distillgov.traffic.simulator.populations import PRESETS
from distillgov.traffic.simulator.scenarios import Scenario
from distillgov.traffic.simulator.spec import (
    Behavior,
    Clients,
    ContentMode,
    Grouping,
    NetworkKind,
    Nightly,
    PaymentKind,
    PopulationSpec,
    TimezoneMode,
    Waves,
)
from distillgov.traffic.simulator.templates import BENCHMARK_ITEMS, TemplateTable
from distillgov.traffic.simulator.world import USER_AGENTS, AddressSpace, draw_timezones, zipf_choice

DAY_US = 86_400_000_000
HOUR_US = 3_600_000_000
SECOND_US = 1_000_000
MODEL_TIERS = 3  # flagship, mid, small; index 3 is the newly released flagship
_WARMUP_SECONDS = (600.0, 1.0)  # median and spread of the delay between sign-up and first request
_LAST_CREATION_MARGIN_US = 6 * HOUR_US  # accounts created inside the window still get time to act
_MIN_PROXY_POOL = 8  # even a one-account operator's proxy plan rotates over several exits

I64 = npt.NDArray[np.int64]
I32 = npt.NDArray[np.int32]


@dataclass(frozen=True)
class Window:
    start_us: int
    days: int
    release_us: int | None

    @property
    def end_us(self) -> int:
        return self.start_us + self.days * DAY_US


@dataclass
class Accounts:
    """Struct of arrays, one entry per account, in plan order (population by population)."""

    population: npt.NDArray[np.int16]
    behavior: npt.NDArray[np.int16]  # index into Plan.behaviors
    group: I32  # organization or campaign, -1 for none
    rows: I64
    created_us: I64
    active_from_us: I64
    tz_minutes: I32
    org: I64
    payment: I64  # -1: no card on file
    key_offset: I64
    key_count: I32
    ua_offset: I64
    ua_count: I32
    ip_offset: I64
    ip_count: I32
    template: I32  # per-account template, -1 when chosen per request
    item_start: I32  # benchmark subset (BENCHMARK content)
    items: I32
    max_tokens: I32  # 0 = not set
    model: npt.NDArray[np.int8]  # pinned model tier (ModelChoice.ACCOUNT)
    cron_us: I64  # Nightly: offset of the first run from the window's start (time of day, maybe days)
    slots: npt.NDArray[np.int8]  # BENCHMARK: model slots each run sweeps
    output_scale: npt.NDArray[np.float32]  # per-account multiplier on output length
    row_offset: I64 = field(init=False)

    def __post_init__(self) -> None:
        self.row_offset = np.concatenate([[0], np.cumsum(self.rows)[:-1]]).astype(np.int64)

    def __len__(self) -> int:
        return len(self.rows)

    @staticmethod
    def concat(parts: list[dict[str, np.ndarray]]) -> Accounts:
        names = [f.name for f in fields(Accounts) if f.init]
        return Accounts(**{n: np.concatenate([p[n] for p in parts]) for n in names})


@dataclass(frozen=True)
class Groups:
    """Organizations and campaigns, with each campaign's shared work windows (Waves timing)."""

    population: npt.NDArray[np.int16]
    campaign: npt.NDArray[np.bool_]
    wave_offset: I64
    wave_count: I64
    wave_start_us: I64
    wave_length_us: I64  # per group


@dataclass(frozen=True)
class Plan:
    scenario: Scenario
    seed: int
    window: Window
    preset_names: tuple[str, ...]
    populations: tuple[PopulationSpec, ...]
    population_rows: I64
    behaviors: tuple[Behavior, ...]
    behavior_population: tuple[int, ...]  # population index of each behaviour
    accounts: Accounts
    groups: Groups
    user_agents: tuple[str, ...]
    ua_lists: I32
    ip_lists: npt.NDArray[np.uint32]
    model_names: tuple[str, ...]

    @property
    def rows(self) -> int:
        return int(self.accounts.rows.sum())


def split_rows(total: int, shares: list[float]) -> I64:
    """Largest-remainder apportionment: exact total, every population with a share gets a row if it can."""
    raw = np.array(shares) * total
    counts = np.floor(raw).astype(np.int64)
    order = np.argsort(-(raw - counts), kind="stable")
    counts[order[: total - counts.sum()]] += 1
    starved = np.flatnonzero((counts == 0) & (np.array(shares) > 0))
    for i in starved:
        donor = int(np.argmax(counts))
        if counts[donor] > 1:
            counts[donor] -= 1
            counts[i] += 1
    result: I64 = counts
    return result


def _categorical(rng: np.random.Generator, options: tuple[tuple[int, float], ...], size: int) -> I64:
    values = np.array([v for v, _ in options], dtype=np.int64)
    weights = np.array([w for _, w in options], dtype=np.float64)
    return values[rng.choice(len(values), size=size, p=weights / weights.sum())]


def _ragged(counts: npt.NDArray[np.integer]) -> tuple[I64, I64]:
    """Owner index and offset-within-owner for each element of a ragged list with these lengths."""
    counts = np.asarray(counts, dtype=np.int64)
    owner = np.repeat(np.arange(len(counts)), counts)
    within = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    return owner, within


@dataclass
class _Planner:
    """Plans populations one after another, handing out globally unique numbers as it goes."""

    window: Window
    templates: TemplateTable
    space: AddressSpace
    user_agents: tuple[str, ...]
    ua_family_offset: dict[str, tuple[int, int]]
    orgs: int = 0
    cards: int = 0
    keys: int = 0
    groups: int = 0
    ua_lists: list[I32] = field(default_factory=list)
    ua_size: int = 0
    ip_lists: list[npt.NDArray[np.uint32]] = field(default_factory=list)
    ip_size: int = 0
    group_population: list[int] = field(default_factory=list)
    group_campaign: list[bool] = field(default_factory=list)
    group_waves: list[I64] = field(default_factory=list)
    group_wave_length: list[int] = field(default_factory=list)

    # -- shared list helpers -----------------------------------------------------------------

    def _push_ua(self, values: I32) -> int:
        self.ua_lists.append(values.astype(np.int32))
        self.ua_size += len(values)
        return self.ua_size - len(values)

    def _push_ip(self, values: npt.NDArray[np.uint32]) -> int:
        self.ip_lists.append(values.astype(np.uint32))
        self.ip_size += len(values)
        return self.ip_size - len(values)

    def _draw_agents(self, rng: np.random.Generator, clients: Clients, size: int) -> I32:
        families = [f for f, _ in clients.families]
        weights = np.array([w for _, w in clients.families])
        family = rng.choice(len(families), size=size, p=weights / weights.sum())
        out = np.empty(size, dtype=np.int32)
        for i, name in enumerate(families):
            mask = family == i
            first, count = self.ua_family_offset[name]
            out[mask] = first + zipf_choice(rng, count, int(mask.sum()))
        return out

    # -- account-level decisions ---------------------------------------------------------------

    def _groups(self, spec: PopulationSpec, n: int, rng: np.random.Generator) -> tuple[I32, int]:
        """Cut the population's accounts into organizations or campaigns of heavy-tailed sizes.

        Campaigns too: how many there are and how big follows from the seed, from a few very
        large swarms down to operators with a handful of accounts or one.
        """
        identity = spec.identity
        if identity.grouping is Grouping.NONE:
            return np.full(n, -1, dtype=np.int32), 0
        lo, hi = identity.group_size_bounds
        sizes = np.clip(np.round(identity.group_size.sample(rng, n)), lo, hi).astype(np.int64)
        ends = np.cumsum(sizes)
        count = int(np.searchsorted(ends, n, side="left")) + 1
        local = np.searchsorted(ends, np.arange(n), side="right")
        return (self.groups + local).astype(np.int32), count

    def _creation(
        self, spec: PopulationSpec, group_local: I64, n_groups: int, rng: np.random.Generator
    ) -> I64:
        identity = spec.identity
        lo, hi = identity.created_days_ago
        start, end = self.window.start_us, self.window.end_us
        if identity.burst_hours is None:
            age_days = lo + (hi - lo) * rng.random(len(group_local)) ** identity.recency
            created = start - (age_days * DAY_US).astype(np.int64)
        else:
            anchor_days = lo + (hi - lo) * rng.random(max(n_groups, 1)) ** identity.recency
            anchor = start - (anchor_days * DAY_US).astype(np.int64)
            index = np.maximum(group_local, 0)
            width = identity.burst_hours * np.exp(
                identity.burst_sigma * rng.standard_normal(max(n_groups, 1))
            )
            created = anchor[index] + (rng.random(len(group_local)) * width[index] * HOUR_US).astype(np.int64)
            late = rng.random(len(group_local)) < identity.late_joiners
            room = np.maximum(end - _LAST_CREATION_MARGIN_US - created, HOUR_US)
            created[late] += (rng.random(int(late.sum())) * room[late]).astype(np.int64)
        return np.minimum(created, end - _LAST_CREATION_MARGIN_US)

    def _networks(
        self, spec: PopulationSpec, group_local: I64, n_groups: int, rng: np.random.Generator
    ) -> tuple[I64, I32]:
        network = spec.identity.network
        n = len(group_local)
        lo, hi = network.addresses
        if network.kind in (NetworkKind.RESIDENTIAL, NetworkKind.CLOUD):
            counts = rng.integers(lo, hi + 1, size=n)
            owner, within = _ragged(counts)
            universe = self.space.residential if network.kind is NetworkKind.RESIDENTIAL else self.space.cloud
            home = self.space.pick(rng, universe, n, popular=True)[owner]
            # Extra addresses: DHCP churn in the home /24, a mobile network, or the office NAT.
            elsewhere = self.space.pick(rng, universe, len(owner), popular=True)
            office = self.space.pick(rng, self.space.corporate, len(owner), popular=True)
            extra = within > 0
            moved = extra & (rng.random(len(owner)) < 0.5)
            at_work = extra & (rng.random(len(owner)) < network.at_work)
            subnets = np.where(at_work, office, np.where(moved, elsewhere, home))
            exits = (
                self.space.carrier_exits
                if network.kind is NetworkKind.RESIDENTIAL
                else self.space.cloud_exits
            )
            addresses = self.space.shared(rng, exits, self.space.hosts(rng, subnets), network.shared_exit)
            offset = self._push_ip(addresses)
            return offset + np.cumsum(counts) - counts, counts.astype(np.int32)
        # Group-level pools: an office NAT, or a campaign's proxy exits across many /24s.
        offsets = np.empty(max(n_groups, 1), dtype=np.int64)
        sizes = np.empty(max(n_groups, 1), dtype=np.int32)
        members = np.bincount(np.maximum(group_local, 0), minlength=max(n_groups, 1))
        for g in range(max(n_groups, 1)):
            if network.kind is NetworkKind.CORPORATE:
                size = int(rng.integers(lo, hi + 1))
                subnet = self.space.pick(rng, self.space.corporate, 1, popular=False)
                subnets = np.repeat(subnet, size)
            else:
                per_account = network.pool_per_account * float(
                    np.exp(network.pool_sigma * rng.standard_normal())
                )
                size = max(_MIN_PROXY_POOL, round(per_account * members[g]))
                spread = self.space.pick(rng, self.space.residential, max(5, size // 2), popular=False)
                subnets = spread[rng.integers(0, len(spread), size=size)]
            addresses = self.space.hosts(rng, subnets)
            if network.kind is NetworkKind.PROXY:
                addresses = self.space.shared(rng, self.space.carrier_exits, addresses, network.shared_exit)
            addresses = np.unique(addresses)
            offsets[g], sizes[g] = self._push_ip(addresses), len(addresses)
        index = np.maximum(group_local, 0)
        return offsets[index], sizes[index]

    def _payments(
        self, spec: PopulationSpec, group_local: I64, n_groups: int, rng: np.random.Generator
    ) -> I64:
        payment = spec.identity.payment
        n = len(group_local)
        if payment.kind is PaymentKind.OWN:
            cards = self.cards + np.arange(n)
            self.cards += n
            borrowed = rng.random(n) < payment.shared
            cards[borrowed] = cards[rng.integers(0, n, size=int(borrowed.sum()))]
        elif payment.kind is PaymentKind.GROUP:
            cards = self.cards + np.maximum(group_local, 0)
            self.cards += max(n_groups, 1)
        else:
            members = np.bincount(np.maximum(group_local, 0), minlength=max(n_groups, 1))
            ratio = payment.accounts_per_card * np.exp(payment.card_sigma * rng.standard_normal(len(members)))
            per_group = np.maximum(1, np.ceil(members / np.maximum(ratio, 1.0))).astype(np.int64)
            first = self.cards + np.cumsum(per_group) - per_group
            self.cards += int(per_group.sum())
            index = np.maximum(group_local, 0)
            # Squaring a uniform draw skews use towards the first cards: one card does most of the work.
            pick = np.floor(per_group[index] * rng.random(n) ** 2).astype(np.int64)
            cards = first[index] + pick
        return np.where(rng.random(n) < payment.missing, -1, cards).astype(np.int64)

    def _agents(
        self, spec: PopulationSpec, behavior: I64, group_local: I64, n_groups: int, rng: np.random.Generator
    ) -> tuple[I64, I32]:
        n = len(behavior)
        offsets = np.empty(n, dtype=np.int64)
        counts = np.empty(n, dtype=np.int32)
        for b, beh in enumerate(spec.behaviors):
            mask = np.flatnonzero(behavior == b)
            lo, hi = beh.clients.per_account
            k = rng.integers(lo, hi + 1, size=len(mask))
            start = self._push_ua(self._draw_agents(rng, beh.clients, int(k.sum())))
            offsets[mask] = start + np.cumsum(k) - k
            counts[mask] = k
            if beh.clients.shared_by_group > 0 and n_groups > 0:
                # Some operators give every account the same client fingerprint, others do not.
                shared = rng.random(n_groups) < beh.clients.shared_by_group
                per_group = rng.integers(lo, hi + 1, size=n_groups)
                first = self._push_ua(self._draw_agents(rng, beh.clients, int(per_group.sum())))
                group_first = first + np.cumsum(per_group) - per_group
                group = group_local[mask]
                use = (group >= 0) & shared[np.maximum(group, 0)]
                offsets[mask[use]] = group_first[group[use]]
                counts[mask[use]] = per_group[group[use]]
        return offsets, counts

    def _waves(self, index: int, spec: PopulationSpec, n_groups: int, rng: np.random.Generator) -> None:
        waves = next((b.timing for b in spec.behaviors if isinstance(b.timing, Waves)), None)
        for _ in range(n_groups):
            self.group_population.append(index)
            self.group_campaign.append(spec.campaign)
            if waves is None:
                self.group_waves.append(np.empty(0, dtype=np.int64))
                self.group_wave_length.append(0)
                continue
            # The operator's shifts: fixed hours spread over the day, drifting up to an hour daily.
            base = (np.sort(rng.random(waves.per_day)) + np.arange(waves.per_day)) / waves.per_day * 24.0
            days = np.arange(self.window.days)[:, None]
            hours = base[None, :] + rng.normal(0.0, 0.5, size=(self.window.days, waves.per_day))
            starts = self.window.start_us + days * DAY_US + (hours * HOUR_US).astype(np.int64)
            self.group_waves.append(np.sort(starts.ravel()))
            self.group_wave_length.append(int(waves.hours * HOUR_US))

    def population(
        self, index: int, spec: PopulationSpec, rows: int, behavior_base: int, rng: np.random.Generator
    ) -> dict[str, np.ndarray]:
        window = self.window
        volume = spec.volume
        rate = volume.per_account_day * float(np.exp(volume.rate_sigma * rng.standard_normal()))
        n = int(np.clip(round(rows / (rate * window.days)), 1, volume.max_accounts or rows))
        n = min(n, rows)
        group, n_groups = self._groups(spec, n, rng)
        group_local = (group - self.groups).astype(np.int64)
        shares = np.array([b.share for b in spec.behaviors])
        if spec.identity.behavior_per_group and n_groups > 0:
            primary, secondary = rng.choice(len(spec.behaviors), size=(2, n_groups), p=shares / shares.sum())
            mixed = rng.random(n) < (spec.identity.style_mix * rng.random(n_groups))[group_local]
            behavior = np.where(mixed, secondary[group_local], primary[group_local])
        else:
            behavior = rng.choice(len(spec.behaviors), size=n, p=shares / shares.sum())
        weight = (
            np.exp(volume.sigma * rng.standard_normal(n))
            * np.array([b.volume_factor for b in spec.behaviors])[behavior]
        )
        if n_groups > 0:
            weight *= np.exp(volume.group_sigma * rng.standard_normal(n_groups))[group_local]
        account_rows = 1 + rng.multinomial(rows - n, weight / weight.sum())

        self._waves(index, spec, n_groups, rng)
        created = self._creation(spec, group_local, n_groups, rng)
        warmup = np.exp(np.log(_WARMUP_SECONDS[0]) + _WARMUP_SECONDS[1] * rng.standard_normal(n)) * SECOND_US
        active_from = np.clip(created + warmup.astype(np.int64), window.start_us, window.end_us - HOUR_US)

        if spec.identity.timezone is TimezoneMode.GROUP:
            tz = draw_timezones(rng, max(n_groups, 1))[np.maximum(group_local, 0)]
        else:
            tz = draw_timezones(rng, n)
        if spec.identity.grouping is Grouping.ORGANIZATION:
            org = self.orgs + group_local
            self.orgs += n_groups
        else:
            org = self.orgs + np.arange(n)
            self.orgs += n
        key_count = rng.integers(spec.identity.keys[0], spec.identity.keys[1] + 1, size=n)
        key_offset = self.keys + np.cumsum(key_count) - key_count
        self.keys += int(key_count.sum())
        ip_offset, ip_count = self._networks(spec, group_local, n_groups, rng)
        ua_offset, ua_count = self._agents(spec, behavior, group_local, n_groups, rng)

        settings = self._settings(spec, behavior, account_rows, rng)
        self.groups += n_groups
        return {
            "population": np.full(n, index, dtype=np.int16),
            "behavior": (behavior_base + behavior).astype(np.int16),
            "group": group,
            "rows": account_rows.astype(np.int64),
            "created_us": created,
            "active_from_us": active_from,
            "tz_minutes": tz.astype(np.int32),
            "org": org.astype(np.int64),
            "payment": self._payments(spec, group_local, n_groups, rng),
            "key_offset": key_offset.astype(np.int64),
            "key_count": key_count.astype(np.int32),
            "ua_offset": ua_offset,
            "ua_count": ua_count,
            "ip_offset": ip_offset.astype(np.int64),
            "ip_count": ip_count.astype(np.int32),
            **settings,
        }

    def _settings(
        self, spec: PopulationSpec, behavior: I64, account_rows: I64, rng: np.random.Generator
    ) -> dict[str, np.ndarray]:
        """Per-account client settings: max_tokens, pinned model and template, benchmark subset, cron time."""
        n, window = len(behavior), self.window
        out: dict[str, npt.NDArray[Any]] = {
            "template": np.full(n, -1, dtype=np.int32),
            "item_start": np.zeros(n, dtype=np.int32),
            "items": np.zeros(n, dtype=np.int32),
            "max_tokens": np.zeros(n, dtype=np.int32),
            "model": np.zeros(n, dtype=np.int8),
            "cron_us": np.zeros(n, dtype=np.int64),
            "slots": np.ones(n, dtype=np.int8),
            "output_scale": np.ones(n, dtype=np.float32),
        }
        for b, beh in enumerate(spec.behaviors):
            mask = np.flatnonzero(behavior == b)
            k = len(mask)
            out["max_tokens"][mask] = _categorical(rng, beh.max_tokens, k)
            out["output_scale"][mask] = beh.output_scale.sample(rng, k)
            tiers = np.array(beh.models.weights)
            out["model"][mask] = rng.choice(MODEL_TIERS, size=k, p=tiers / tiers.sum())
            content = beh.content
            if content.per_account:
                out["template"][mask] = template_sampler(self.templates, content.families)(rng, k)
            if content.mode is ContentMode.BENCHMARK:
                # Enough items that the runs this account aims at hold its rows.
                slots = rng.integers(content.benchmark_models[0], content.benchmark_models[1] + 1, size=k)
                low, high = content.benchmark_runs_per_day
                runs = np.maximum(1.0, np.round(window.days * (low + (high - low) * rng.random(k))))
                need = np.ceil(account_rows[mask] / (slots * runs)).astype(np.int64)
                out["slots"][mask] = slots
                out["items"][mask] = np.clip(need, 1, min(content.benchmark_max_items, BENCHMARK_ITEMS))
                out["item_start"][mask] = rng.integers(0, BENCHMARK_ITEMS - out["items"][mask] + 1)
            if isinstance(beh.timing, Nightly):
                first, last = beh.timing.hours_utc
                cron = ((first + (last - first) * rng.random(k)) * HOUR_US).astype(np.int64)
                if beh.timing.spread_days:
                    # One-off sweeps start on any day that leaves room for all of the account's runs.
                    per_run = out["items"][mask].astype(np.int64) * out["slots"][mask]
                    used = np.minimum(np.ceil(account_rows[mask] / per_run), window.days).astype(np.int64)
                    cron += (rng.random(k) * (window.days - used + 1)).astype(np.int64) * DAY_US
                out["cron_us"][mask] = cron
        return out

    def groups_table(self) -> Groups:
        counts = np.array([len(w) for w in self.group_waves], dtype=np.int64)
        return Groups(
            population=np.array(self.group_population, dtype=np.int16),
            campaign=np.array(self.group_campaign, dtype=bool),
            wave_offset=np.cumsum(counts) - counts,
            wave_count=counts,
            wave_start_us=np.concatenate([np.empty(0, dtype=np.int64), *self.group_waves]),
            wave_length_us=np.array(self.group_wave_length, dtype=np.int64),
        )


def template_sampler(
    templates: TemplateTable, families: tuple[tuple[str, float], ...]
) -> Callable[[np.random.Generator, int], I32]:
    """A function drawing template indices from a weighting over families."""
    probability = np.zeros(len(templates.names))
    total = sum(w for _, w in families)
    for family, weight in families:
        members, within = templates.family_weights(family)
        probability[members] += weight / total * within

    def draw(rng: np.random.Generator, size: int) -> I32:
        return rng.choice(len(probability), size=size, p=probability).astype(np.int32)

    return draw


def make_plan(
    scenario: Scenario, rows: int, days: int, start_us: int, seed: int, templates: TemplateTable
) -> Plan:
    """Decide populations' rows, every account and every campaign's shared resources."""
    if rows < 1 or days < 1:
        raise ValueError("rows and days must be positive")
    release = None
    if scenario.release_day is not None and scenario.release_day < days:
        release = start_us + int(scenario.release_day * DAY_US)
    window = Window(start_us, days, release)
    shares = scenario.shares()
    names = tuple(shares)
    populations = tuple(PRESETS[name] for name in names)
    population_rows = split_rows(rows, list(shares.values()))
    rng = np.random.default_rng([seed, 0x504C414E])  # "PLAN"
    agents = [ua for family in USER_AGENTS.values() for ua in family]
    family_offset: dict[str, tuple[int, int]] = {}
    position = 0
    for family, values in USER_AGENTS.items():
        family_offset[family] = (position, len(values))
        position += len(values)
    planner = _Planner(window, templates, AddressSpace(rng), tuple(agents), family_offset)
    parts = []
    behaviors: list[Behavior] = []
    behavior_population: list[int] = []
    for index, (spec, count) in enumerate(zip(populations, population_rows, strict=True)):
        if count == 0:
            continue
        parts.append(planner.population(index, spec, int(count), len(behaviors), rng))
        behaviors.extend(spec.behaviors)
        behavior_population.extend([index] * len(spec.behaviors))
    return Plan(
        scenario=scenario,
        seed=seed,
        window=window,
        preset_names=names,
        populations=populations,
        population_rows=population_rows,
        behaviors=tuple(behaviors),
        behavior_population=tuple(behavior_population),
        accounts=Accounts.concat(parts),
        groups=planner.groups_table(),
        user_agents=planner.user_agents,
        ua_lists=np.concatenate(planner.ua_lists).astype(np.int32),
        ip_lists=np.concatenate(planner.ip_lists).astype(np.uint32),
        model_names=(*scenario.models, scenario.new_model),
    )
