"""Population presets: the benign traffic a provider really sees, and the campaigns hidden in it.

Every number here is a calibration choice with a reason; the reasons are in the comments and in
docs/simulator.md. The benign presets are deliberately *hard negatives*: each shares at least
one trait with harvesting (automation, volume, templates, reasoning prompts, shared payment and
networks, creation bursts) so that no single signal separates campaigns from customers.
"""

from __future__ import annotations

from dataclasses import replace

from distillgov.traffic.simulator.spec import (
    Behavior,
    Clients,
    Content,
    ContentMode,
    Grouping,
    Identity,
    LogNormal,
    ModelChoice,
    Models,
    Network,
    NetworkKind,
    Nightly,
    Payment,
    PaymentKind,
    Periodic,
    PopulationSpec,
    Sessions,
    Steady,
    TimezoneMode,
    Volume,
    Waves,
)
from distillgov.traffic.simulator.world import Rhythm

_CHAT_MAX_TOKENS = ((0, 0.35), (1024, 0.2), (2048, 0.2), (4096, 0.2), (8192, 0.05))
# Broad-capability harvest: reasoning traces, code and agentic tool use, plus real prompts wrapped
# in elicitation (harvesters reuse public prompt sets such as ShareGPT).
_HARVEST_MIX = (
    ("harvest-reasoning", 0.35),
    ("harvest-code", 0.25),
    ("harvest-agentic", 0.15),
    ("harvest-wrapped", 0.25),
)

INTERACTIVE = PopulationSpec(
    label="interactive",
    campaign=False,
    rationale=(
        "People using the API through playgrounds, chat front-ends and scripts. WildChat and "
        "LMSYS-Chat-1M average 2-2.5 turns per conversation; volume across users is heavy-tailed "
        "(lognormal sigma 1.3: the top 1% send ~25x the median); activity follows local-time "
        "daily and weekly rhythms; accounts accumulated over three years of growth, a few new."
    ),
    volume=Volume(per_account_day=4.0, sigma=1.3),
    identity=Identity(
        grouping=Grouping.NONE,
        network=Network(NetworkKind.RESIDENTIAL, addresses=(1, 3), at_work=0.35),
        payment=Payment(PaymentKind.OWN, missing=0.25),
        created_days_ago=(-6.0, 1_100.0),
        recency=1.6,
        keys=(1, 2),
    ),
    behaviors=(
        Behavior(
            share=1.0,
            timing=Sessions(Rhythm.PERSONAL, turns_mean=2.3, conversations_per_session=1.6),
            content=Content(ContentMode.CONVERSATIONS),
            clients=Clients((("browser", 0.7), ("sdk", 0.3)), per_account=(1, 2)),
            models=Models((0.55, 0.3, 0.15), adoption=0.15, ramp_hours=72.0),
            max_tokens=_CHAT_MAX_TOKENS,
            error_rate=0.008,
        ),
    ),
)

AUTOMATED_APP = PopulationSpec(
    label="automated_app",
    campaign=False,
    rationale=(
        "Production integrations (classification, extraction, summarization of a stream of "
        "documents): ~77% of business API use is automated, so automation, volume and 24/7 "
        "activity are not signals on their own. What differs is one narrow template, short "
        "outputs and a pinned model."
    ),
    volume=Volume(per_account_day=2_500.0, sigma=1.0),
    identity=Identity(
        grouping=Grouping.NONE,
        network=Network(NetworkKind.CLOUD, addresses=(2, 6), rotate_per_request=True),
        payment=Payment(PaymentKind.OWN),
        created_days_ago=(60.0, 1_000.0),
        keys=(2, 5),
    ),
    behaviors=(
        Behavior(
            share=1.0,
            timing=Steady(Rhythm.PERSONAL, amplitude=0.3),
            content=Content(ContentMode.TEMPLATES, (("app", 1.0),), per_account=True),
            clients=Clients((("sdk", 1.0),)),
            models=Models((0.1, 0.4, 0.5), choice=ModelChoice.ACCOUNT),
            max_tokens=((64, 0.3), (256, 0.4), (512, 0.3)),
        ),
    ),
)

EVAL_PIPELINE = PopulationSpec(
    label="eval_pipeline",
    campaign=False,
    rationale=(
        "The 'validation defense' hard negative: harnesses that replay a fixed benchmark of "
        "chain-of-thought math problems nightly and right after a release, across every model. "
        "Reasoning elicitation and long outputs, but the same few hundred prompts every run."
    ),
    volume=Volume(per_account_day=900.0, sigma=0.25),
    identity=Identity(
        grouping=Grouping.NONE,
        network=Network(NetworkKind.CLOUD, addresses=(1, 3), rotate_per_request=True),
        payment=Payment(PaymentKind.OWN),
        created_days_ago=(120.0, 900.0),
        keys=(1, 2),
    ),
    behaviors=(
        Behavior(
            share=1.0,
            timing=Nightly(),
            content=Content(ContentMode.BENCHMARK, benchmark_items=(150, 500)),
            clients=Clients((("harness", 1.0),)),
            models=Models((1.0, 1.0, 1.0), choice=ModelChoice.RUN_SLOT, adoption=1.0, ramp_hours=0.0),
            max_tokens=((2048, 0.5), (4096, 0.5)),
            error_rate=0.005,
        ),
    ),
)

ENTERPRISE = PopulationSpec(
    label="enterprise",
    campaign=False,
    rationale=(
        "Company rollouts: tens to hundreds of seats provisioned by SSO within a day, one card, "
        "one organization, one office NAT /24 - the same linkage a fraudulent swarm shows. Staff "
        "behave like people on office hours; a few seats run internal tools."
    ),
    volume=Volume(per_account_day=5.0, sigma=1.0),
    identity=Identity(
        grouping=Grouping.ORGANIZATION,
        network=Network(NetworkKind.CORPORATE, addresses=(2, 6)),
        payment=Payment(PaymentKind.GROUP),
        created_days_ago=(30.0, 600.0),
        group_size=LogNormal(50.0, 0.8),
        group_size_bounds=(10, 400),
        burst_hours=8.0,
        late_joiners=0.1,
        keys=(1, 1),
        timezone=TimezoneMode.GROUP,
    ),
    behaviors=(
        Behavior(
            share=0.85,
            timing=Sessions(Rhythm.BUSINESS, turns_mean=2.3, conversations_per_session=1.8),
            content=Content(ContentMode.CONVERSATIONS),
            clients=Clients((("browser", 0.8), ("sdk", 0.2))),
            models=Models((0.6, 0.3, 0.1), adoption=0.1, ramp_hours=96.0),
            max_tokens=_CHAT_MAX_TOKENS,
            error_rate=0.006,
        ),
        Behavior(
            share=0.15,
            timing=Steady(Rhythm.BUSINESS, amplitude=0.8),
            content=Content(ContentMode.TEMPLATES, (("enterprise-tool", 1.0),), per_account=True),
            clients=Clients((("sdk", 1.0),)),
            models=Models((0.2, 0.5, 0.3), choice=ModelChoice.ACCOUNT),
            max_tokens=((256, 0.5), (1024, 0.5)),
            volume_factor=6.0,
        ),
    ),
)

SWARM = PopulationSpec(
    label="campaign_swarm",
    campaign=True,
    rationale=(
        "Burst-created fraudulent accounts behind a rotating residential proxy pool (public "
        "reports: ~24,000 accounts, ~667 exchanges each; one proxy network ran 20,000+ accounts "
        "at once). Created within hours, a few shared cards, one client fingerprint, shared work "
        "windows, long reasoning/code/agentic outputs, single-turn; half the traffic moves to a "
        "newly released model within 24 hours."
    ),
    volume=Volume(per_account_day=95.0, sigma=0.35),
    identity=Identity(
        grouping=Grouping.CAMPAIGN,
        network=Network(NetworkKind.PROXY, pool_per_account=3.0, rotate_per_request=True),
        payment=Payment(PaymentKind.FEW, accounts_per_card=40.0),
        created_days_ago=(-1.5, 0.5),
        burst_hours=4.0,
        keys=(1, 1),
    ),
    behaviors=(
        Behavior(
            share=1.0,
            timing=Waves(per_day=3, hours=2.5, participation=0.8, jitter_minutes=12.0),
            content=Content(ContentMode.TEMPLATES, _HARVEST_MIX),
            clients=Clients((("sdk", 1.0),), shared_by_group=True),
            models=Models((1.0, 0.0, 0.0), adoption=0.5, ramp_hours=24.0),
            max_tokens=((8192, 0.3), (16000, 0.4), (32000, 0.3)),
            error_rate=0.05,
            rate_limited=0.9,
        ),
    ),
)

SWARM_EVASIVE = replace(
    SWARM,
    rationale=SWARM.rationale + " Evasive variant: browser user agents per account, more cards, "
    "creation spread over a day with late joiners, and shorter, less synchronized waves.",
    identity=replace(
        SWARM.identity,
        payment=Payment(PaymentKind.FEW, accounts_per_card=8.0),
        burst_hours=24.0,
        late_joiners=0.3,
    ),
    behaviors=(
        replace(
            SWARM.behaviors[0],
            timing=Waves(per_day=6, hours=1.5, participation=0.5, jitter_minutes=45.0),
            clients=Clients((("browser", 1.0),)),
            max_tokens=((4096, 0.3), (8192, 0.4), (16000, 0.3)),
        ),
    ),
)

LOW_AND_SLOW = PopulationSpec(
    label="campaign_low_and_slow",
    campaign=True,
    rationale=(
        "Many accounts each at human rates (~25,000 accounts, 28.8M exchanges in six weeks is ~26 "
        "per account per day) and human rhythm, aged for weeks before use, so per-account limits "
        "never fire; the content is still a broad reasoning harvest and the accounts share an "
        "operator's time zone, proxy pool and a few cards - they must be linked to be seen."
    ),
    volume=Volume(per_account_day=26.0, sigma=0.25),
    identity=Identity(
        grouping=Grouping.CAMPAIGN,
        network=Network(NetworkKind.PROXY, pool_per_account=1.5),
        payment=Payment(PaymentKind.FEW, accounts_per_card=6.0),
        created_days_ago=(14.0, 45.0),
        keys=(1, 1),
        timezone=TimezoneMode.GROUP,
    ),
    behaviors=(
        Behavior(
            share=1.0,
            timing=Sessions(
                Rhythm.PERSONAL, conversations_per_session=4.0, pause=LogNormal(90.0, 0.8), day_spread=3.0
            ),
            content=Content(ContentMode.TEMPLATES, _HARVEST_MIX),
            clients=Clients((("browser", 1.0),)),
            models=Models((0.9, 0.1, 0.0), adoption=0.3, ramp_hours=48.0),
            max_tokens=((4096, 0.4), (8192, 0.6)),
        ),
    ),
)

PARAPHRASE = PopulationSpec(
    label="campaign_paraphrase",
    campaign=True,
    rationale=(
        "Every instruction reworded combinatorially (openers x task phrases x reasoning asks x "
        "format asks) and half of it in other languages - Google reported a 100k+ prompt "
        "reasoning-trace campaign with many non-English prompts - so exact and near-duplicate "
        "template hashing finds little; rotating clients and looser timing."
    ),
    volume=Volume(per_account_day=60.0, sigma=0.5),
    identity=Identity(
        grouping=Grouping.CAMPAIGN,
        network=Network(NetworkKind.PROXY, pool_per_account=2.0, rotate_per_request=True),
        payment=Payment(PaymentKind.FEW, accounts_per_card=12.0),
        created_days_ago=(10.0, 20.0),
        burst_hours=24.0,
        late_joiners=0.3,
        keys=(1, 1),
    ),
    behaviors=(
        Behavior(
            share=1.0,
            timing=Waves(per_day=4, hours=4.0, participation=0.6, jitter_minutes=30.0),
            content=Content(ContentMode.TEMPLATES, (("paraphrase", 1.0),)),
            clients=Clients((("sdk", 0.6), ("browser", 0.4)), per_account=(1, 3)),
            models=Models((0.85, 0.15, 0.0), adoption=0.4, ramp_hours=48.0),
            max_tokens=((8192, 0.5), (16000, 0.5)),
            error_rate=0.03,
            rate_limited=0.8,
        ),
    ),
)

BOT = PopulationSpec(
    label="campaign_bot",
    campaign=True,
    rationale=(
        "One account on a server looping over a prompt dataset around the clock at evenly spaced "
        "intervals, far beyond any person's volume (Compulife v. Newman: ~43M quotes in ~4 days)."
    ),
    volume=Volume(per_account_day=10_000.0, sigma=0.0, max_accounts=1),
    identity=Identity(
        grouping=Grouping.CAMPAIGN,
        network=Network(NetworkKind.CLOUD, addresses=(1, 1)),
        payment=Payment(PaymentKind.OWN),
        created_days_ago=(20.0, 60.0),
        keys=(1, 1),
    ),
    behaviors=(
        Behavior(
            share=1.0,
            timing=Periodic(jitter=0.05),
            content=Content(
                ContentMode.TEMPLATES, (("bot", 0.6), ("harvest-reasoning", 0.2), ("harvest-code", 0.2))
            ),
            clients=Clients((("sdk", 1.0),)),
            models=Models((1.0, 0.0, 0.0)),
            max_tokens=((8192, 1.0),),
            error_rate=0.06,
            rate_limited=0.95,
        ),
    ),
)

PRESETS: dict[str, PopulationSpec] = {
    "interactive": INTERACTIVE,
    "automated-app": AUTOMATED_APP,
    "eval-pipeline": EVAL_PIPELINE,
    "enterprise": ENTERPRISE,
    "swarm": SWARM,
    "swarm-evasive": SWARM_EVASIVE,
    "low-and-slow": LOW_AND_SLOW,
    "paraphrase": PARAPHRASE,
    "bot": BOT,
}
