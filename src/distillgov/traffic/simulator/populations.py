"""Population presets: the benign traffic a provider really sees, and the campaigns hidden in it.

Every number here is a calibration choice with a reason; the reasons are in the comments and in
docs/simulator.md. The benign presets are deliberately *hard negatives*: each shares traits with
harvesting (automation, volume, round-the-clock use, long outputs, reasoning prompts, templates,
shared payment and networks, creation bursts), and the campaigns in turn take on traits of
customers (human rates, conversations, short answers, narrow content), so that no single signal
separates the two and detection has to combine signals and linkage.

Campaigns vary with the seed: their number and sizes (heavy-tailed, down to one account), their
pace, their identity hygiene (cards, proxies, client strings) and their *style* - what one
operator's pipeline harvests - are drawn per campaign.
"""

from __future__ import annotations

from dataclasses import replace

from distillgov.traffic.simulator.spec import (
    Behavior,
    Category,
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
    Timing,
    Volume,
    Waves,
)
from distillgov.traffic.simulator.world import Rhythm

_CHAT_MAX_TOKENS = ((0, 0.35), (1024, 0.2), (2048, 0.2), (4096, 0.2), (8192, 0.05))
_LONG_MAX_TOKENS = ((8192, 0.3), (16000, 0.4), (32000, 0.3))
# Broad-capability harvest: reasoning traces, code and agentic tool use, plus real prompts wrapped
# in elicitation (harvesters reuse public prompt sets such as ShareGPT).
_HARVEST_MIX = (
    ("harvest-reasoning", 0.35),
    ("harvest-code", 0.25),
    ("harvest-agentic", 0.15),
    ("harvest-wrapped", 0.25),
)
_SDK = Clients((("sdk", 1.0),))
_PEOPLE_IDENTITY = Identity(
    grouping=Grouping.NONE,
    network=Network(NetworkKind.RESIDENTIAL, addresses=(1, 3), at_work=0.35, shared_exit=0.2),
    payment=Payment(PaymentKind.OWN, missing=0.25, shared=0.08),
    created_days_ago=(-6.0, 1_100.0),
    recency=1.6,
    keys=(1, 2),
)
_CLOUD_IDENTITY = Identity(
    grouping=Grouping.NONE,
    network=Network(NetworkKind.CLOUD, addresses=(2, 6), rotate_per_request=True, shared_exit=0.3),
    payment=Payment(PaymentKind.OWN, shared=0.05),
    created_days_ago=(60.0, 1_000.0),
    keys=(2, 5),
)
# A developer's coding agent: a loop of tool calls seconds apart, long contexts and long patches,
# for hours at a time - volume, tempo and output length beyond any chat user, with no harvesting.
_AGENT_SESSIONS = Sessions(
    Rhythm.PERSONAL,
    turns_mean=12.0,
    conversations_per_session=2.0,
    think=LogNormal(5.0, 0.9),
    pause=LogNormal(600.0, 1.0),
    day_spread=1.5,
)
_CODING_AGENT_CONTENT = Content(ContentMode.TEMPLATES, (("coding-agent", 1.0),))

INTERACTIVE = PopulationSpec(
    label="interactive",
    campaign=False,
    category=Category.PERSON,
    rationale=(
        "People using the API through playgrounds, chat front-ends and scripts. WildChat and "
        "LMSYS-Chat-1M average 2-2.5 turns per conversation; volume across users is heavy-tailed "
        "(lognormal sigma 1.3: the top 1% send ~25x the median); activity follows local-time "
        "daily and weekly rhythms; accounts accumulated over three years of growth, a few new. "
        "Some people script single-turn calls through an SDK, and some use a reasoning model for "
        "worked solutions to maths and logic problems (long outputs, 'show the steps')."
    ),
    volume=Volume(per_account_day=4.0, sigma=1.3, rate_sigma=0.1),
    identity=_PEOPLE_IDENTITY,
    behaviors=(
        Behavior(
            name="chat",
            share=0.78,
            timing=Sessions(Rhythm.PERSONAL, turns_mean=2.3, conversations_per_session=1.6),
            content=Content(ContentMode.CONVERSATIONS),
            clients=Clients((("browser", 0.7), ("sdk", 0.3)), per_account=(1, 2)),
            models=Models((0.55, 0.3, 0.15), adoption=0.15, ramp_hours=72.0),
            max_tokens=_CHAT_MAX_TOKENS,
            error_rate=0.008,
            output_scale=LogNormal(1.0, 0.25),
        ),
        Behavior(
            name="scripted",
            share=0.12,
            timing=Sessions(
                Rhythm.PERSONAL,
                conversations_per_session=6.0,
                think=LogNormal(3.0, 0.8),
                pause=LogNormal(20.0, 1.0),
            ),
            content=Content(ContentMode.CONVERSATIONS),
            clients=_SDK,
            models=Models((0.5, 0.3, 0.2), adoption=0.2, ramp_hours=48.0),
            max_tokens=_CHAT_MAX_TOKENS,
            volume_factor=2.0,
        ),
        Behavior(
            name="reasoning-user",
            share=0.10,
            timing=Sessions(Rhythm.PERSONAL, turns_mean=1.6, conversations_per_session=3.0),
            content=Content(ContentMode.TEMPLATES, (("study", 0.6), ("plain", 0.4))),
            clients=Clients((("browser", 0.6), ("sdk", 0.4))),
            models=Models((0.9, 0.1, 0.0), adoption=0.4, ramp_hours=24.0),
            max_tokens=((0, 0.3), (4096, 0.3), (8192, 0.2), (16000, 0.2)),
            output_scale=LogNormal(1.0, 0.4),
        ),
    ),
)

CODING_AGENT = PopulationSpec(
    label="coding_agent",
    campaign=False,
    category=Category.PERSON,
    rationale=(
        "Developers driving agentic coding tools: every tool call is a request, seconds apart, "
        "with the repository context re-sent and long patches returned; heavy users run for many "
        "hours a day and move to a new model on release day. Many users of one tool send the same "
        "system prompt and tool schemas, so their prompts form shared template families."
    ),
    volume=Volume(per_account_day=150.0, sigma=1.0, rate_sigma=0.2),
    identity=replace(_PEOPLE_IDENTITY, payment=Payment(PaymentKind.OWN, missing=0.05, shared=0.08)),
    behaviors=(
        Behavior(
            name="coding-agent",
            share=1.0,
            timing=_AGENT_SESSIONS,
            content=_CODING_AGENT_CONTENT,
            clients=_SDK,
            models=Models((0.85, 0.15, 0.0), adoption=0.6, ramp_hours=24.0),
            max_tokens=_LONG_MAX_TOKENS,
            output_scale=LogNormal(1.0, 0.6),
            error_rate=0.02,
        ),
    ),
)

AUTOMATED_APP = PopulationSpec(
    label="automated_app",
    campaign=False,
    category=Category.APP,
    rationale=(
        "Production integrations: ~77% of business API use is automated, so automation, volume and "
        "24/7 activity are not signals on their own. Most integrations are small (median ~15 "
        "requests a day) and a few are huge. Each does one job: classification and extraction with "
        "short outputs, but also document generation with 16-32k output limits, a tutoring product "
        "whose system prompt asks for step-by-step explanations, and scheduled jobs that call at "
        "fixed intervals as regularly as any bot."
    ),
    volume=Volume(per_account_day=60.0, sigma=1.6, rate_sigma=0.2),
    identity=_CLOUD_IDENTITY,
    behaviors=(
        Behavior(
            name="classifier",
            share=0.45,
            timing=Steady(Rhythm.PERSONAL, amplitude=0.3),
            content=Content(ContentMode.TEMPLATES, (("app", 1.0),), per_account=True),
            clients=_SDK,
            models=Models((0.1, 0.4, 0.5), choice=ModelChoice.ACCOUNT),
            max_tokens=((64, 0.3), (256, 0.4), (512, 0.3)),
        ),
        Behavior(
            name="document-generation",
            share=0.15,
            timing=Steady(Rhythm.PERSONAL, amplitude=0.6),
            content=Content(ContentMode.TEMPLATES, (("docgen", 1.0),), per_account=True),
            clients=_SDK,
            models=Models((0.7, 0.3, 0.0), choice=ModelChoice.ACCOUNT),
            max_tokens=_LONG_MAX_TOKENS,
            output_scale=LogNormal(1.0, 0.5),
        ),
        Behavior(
            name="tutoring",
            share=0.15,
            timing=Steady(Rhythm.PERSONAL, amplitude=0.6),
            content=Content(ContentMode.TEMPLATES, (("tutor", 1.0),), per_account=True),
            clients=_SDK,
            models=Models((0.6, 0.4, 0.0), choice=ModelChoice.ACCOUNT),
            max_tokens=((2048, 0.5), (4096, 0.5)),
            output_scale=LogNormal(1.0, 0.4),
        ),
        Behavior(
            name="scheduled",
            share=0.25,
            timing=Periodic(jitter=0.03),
            content=Content(ContentMode.TEMPLATES, (("app", 1.0),), per_account=True),
            clients=_SDK,
            models=Models((0.1, 0.4, 0.5), choice=ModelChoice.ACCOUNT),
            max_tokens=((0, 0.3), (256, 0.4), (1024, 0.3)),
        ),
    ),
)

APP_BACKEND = PopulationSpec(
    label="app_backend",
    campaign=False,
    category=Category.APP,
    rationale=(
        "A consumer product's backend: many end users behind one account, so thousands of real, "
        "diverse conversations a day, round the clock (users in every time zone), with high "
        "concurrency - harvesting-scale on every volume measure. Some products are homework "
        "helpers: reasoning questions and worked answers at that scale."
    ),
    volume=Volume(per_account_day=1_500.0, sigma=1.0, rate_sigma=0.3),
    identity=_CLOUD_IDENTITY,
    behaviors=(
        Behavior(
            name="chat-product",
            share=0.7,
            timing=Sessions(Rhythm.FLAT, turns_mean=2.5, conversations_per_session=1.2, day_spread=8.0),
            content=Content(ContentMode.CONVERSATIONS),
            clients=_SDK,
            models=Models((0.5, 0.5, 0.0), choice=ModelChoice.ACCOUNT),
            max_tokens=((1024, 0.3), (2048, 0.3), (4096, 0.4)),
            output_scale=LogNormal(1.0, 0.3),
        ),
        Behavior(
            name="homework-helper",
            share=0.3,
            timing=Sessions(Rhythm.FLAT, turns_mean=1.5, conversations_per_session=1.2, day_spread=8.0),
            content=Content(ContentMode.TEMPLATES, (("study", 0.7), ("tutor", 0.3))),
            clients=_SDK,
            models=Models((0.7, 0.3, 0.0), choice=ModelChoice.ACCOUNT),
            max_tokens=((2048, 0.3), (4096, 0.4), (8192, 0.3)),
            output_scale=LogNormal(1.0, 0.4),
        ),
    ),
)

EVAL_PIPELINE = PopulationSpec(
    label="eval_pipeline",
    campaign=False,
    category=Category.EVAL_PIPELINE,
    rationale=(
        "The 'validation defense' hard negative: harnesses that replay a fixed benchmark of "
        "chain-of-thought math problems one to three times a night and right after a release, "
        "across one to three models. Reasoning elicitation and long outputs, but the same prompts "
        "every run. Most are small CI checks (tens of items), a few sweep hundreds."
    ),
    volume=Volume(per_account_day=20.0, sigma=1.1, rate_sigma=0.2),
    identity=replace(
        _CLOUD_IDENTITY,
        network=Network(NetworkKind.CLOUD, addresses=(1, 3), rotate_per_request=True, shared_exit=0.3),
        created_days_ago=(120.0, 900.0),
        keys=(1, 2),
    ),
    behaviors=(
        Behavior(
            name="nightly-benchmark",
            share=1.0,
            timing=Nightly(),
            content=Content(
                ContentMode.BENCHMARK,
                benchmark_max_items=800,
                benchmark_models=(1, 3),
                benchmark_runs_per_day=(1.0, 3.0),
            ),
            clients=Clients((("harness", 1.0),)),
            models=Models((1.0, 1.0, 1.0), choice=ModelChoice.RUN_SLOT, adoption=1.0, ramp_hours=0.0),
            max_tokens=((2048, 0.5), (4096, 0.5)),
            error_rate=0.005,
            output_scale=LogNormal(1.0, 0.5),
        ),
    ),
)

RESEARCH = PopulationSpec(
    label="research",
    campaign=False,
    category=Category.RESEARCH,
    rationale=(
        "Academic labs: a few accounts on one grant card behind the campus NAT, created together "
        "at the start of a term, running one-off benchmark sweeps (hundreds to 2,000 reasoning "
        "items with chain-of-thought, once or twice - little replay) and probing the model with "
        "plain reasoning and short questions. Non-commercial research sits in the safe harbour of "
        "the seed framework, yet looks like harvesting on almost every per-account measure."
    ),
    volume=Volume(per_account_day=150.0, sigma=1.0, rate_sigma=0.2),
    identity=Identity(
        grouping=Grouping.ORGANIZATION,
        network=Network(NetworkKind.CORPORATE, addresses=(1, 4)),
        payment=Payment(PaymentKind.GROUP),
        created_days_ago=(5.0, 400.0),
        group_size=LogNormal(4.0, 0.7),
        group_size_bounds=(1, 25),
        burst_hours=72.0,
        late_joiners=0.3,
        keys=(1, 3),
        timezone=TimezoneMode.GROUP,
    ),
    behaviors=(
        Behavior(
            name="benchmark-sweep",
            share=0.6,
            timing=Nightly(hours_utc=(0.0, 24.0), request_seconds=LogNormal(0.5, 0.5), spread_days=True),
            content=Content(
                ContentMode.BENCHMARK,
                benchmark_max_items=2_000,
                benchmark_models=(1, 3),
                benchmark_runs_per_day=(0.1, 0.35),
            ),
            clients=Clients((("harness", 0.6), ("sdk", 0.4))),
            models=Models((1.0, 1.0, 1.0), choice=ModelChoice.RUN_SLOT, adoption=1.0, ramp_hours=0.0),
            max_tokens=((4096, 0.5), (8192, 0.5)),
            output_scale=LogNormal(1.0, 0.5),
        ),
        Behavior(
            name="probing",
            share=0.4,
            timing=Steady(Rhythm.BUSINESS, amplitude=0.8),
            content=Content(ContentMode.TEMPLATES, (("plain", 0.5), ("study", 0.2), ("harvest-short", 0.3))),
            clients=_SDK,
            models=Models((0.8, 0.2, 0.0), adoption=0.5, ramp_hours=24.0),
            max_tokens=((4096, 0.3), (8192, 0.4), (16000, 0.3)),
            output_scale=LogNormal(1.0, 0.5),
        ),
    ),
)

ENTERPRISE = PopulationSpec(
    label="enterprise",
    campaign=False,
    category=Category.ENTERPRISE,
    rationale=(
        "Company rollouts: tens to hundreds of seats provisioned by SSO within a day, one card, "
        "one organization, one office NAT /24 - the same linkage a fraudulent swarm shows. Staff "
        "behave like people on office hours; some seats run internal tools (including document "
        "generation with long outputs) and developers run coding agents."
    ),
    volume=Volume(per_account_day=5.0, sigma=1.0, rate_sigma=0.1),
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
            name="staff",
            share=0.82,
            timing=Sessions(Rhythm.BUSINESS, turns_mean=2.3, conversations_per_session=1.8),
            content=Content(ContentMode.CONVERSATIONS),
            clients=Clients((("browser", 0.8), ("sdk", 0.2))),
            models=Models((0.6, 0.3, 0.1), adoption=0.1, ramp_hours=96.0),
            max_tokens=_CHAT_MAX_TOKENS,
            error_rate=0.006,
            output_scale=LogNormal(1.0, 0.25),
        ),
        Behavior(
            name="internal-tool",
            share=0.13,
            timing=Steady(Rhythm.BUSINESS, amplitude=0.8),
            content=Content(
                ContentMode.TEMPLATES, (("enterprise-tool", 0.7), ("docgen", 0.3)), per_account=True
            ),
            clients=_SDK,
            models=Models((0.2, 0.5, 0.3), choice=ModelChoice.ACCOUNT),
            max_tokens=((256, 0.3), (1024, 0.3), (16000, 0.4)),
            volume_factor=6.0,
        ),
        Behavior(
            name="developer",
            share=0.05,
            timing=replace(_AGENT_SESSIONS, rhythm=Rhythm.BUSINESS),
            content=_CODING_AGENT_CONTENT,
            clients=_SDK,
            models=Models((0.85, 0.15, 0.0), adoption=0.5, ramp_hours=24.0),
            max_tokens=_LONG_MAX_TOKENS,
            output_scale=LogNormal(1.0, 0.6),
            volume_factor=20.0,
        ),
    ),
)

LICENSED = PopulationSpec(
    label="licensed_distillation",
    campaign=False,
    category=Category.LICENSED,
    rationale=(
        "Authorized distillation: a customer licensed by contract to train on outputs (the seed "
        "framework distinguishes authorized, independent and illicit distillation). Bulk reasoning, "
        "code and labelling traffic round the clock from a verified organization on cloud hosts "
        "and one card. Its traffic is a campaign's; whether to flag it is policy, so it is labelled "
        "on its own (campaign_id null) and reported separately."
    ),
    volume=Volume(per_account_day=2_500.0, sigma=0.8, rate_sigma=0.3),
    identity=Identity(
        grouping=Grouping.ORGANIZATION,
        network=Network(NetworkKind.CLOUD, addresses=(2, 8), rotate_per_request=True),
        payment=Payment(PaymentKind.GROUP),
        created_days_ago=(30.0, 500.0),
        group_size=LogNormal(2.0, 0.6),
        group_size_bounds=(1, 8),
        behavior_per_group=True,
        style_mix=0.5,
        burst_hours=2.0,
        keys=(2, 6),
    ),
    behaviors=(
        Behavior(
            name="bulk-traces",
            share=0.7,
            timing=Steady(Rhythm.FLAT, amplitude=0.0),
            content=Content(ContentMode.TEMPLATES, _HARVEST_MIX),
            clients=_SDK,
            models=Models((1.0, 0.0, 0.0), adoption=0.7, ramp_hours=12.0),
            max_tokens=_LONG_MAX_TOKENS,
            output_scale=LogNormal(1.0, 0.3),
        ),
        Behavior(
            name="bulk-labels",
            share=0.3,
            timing=Steady(Rhythm.FLAT, amplitude=0.0),
            content=Content(ContentMode.TEMPLATES, (("app", 0.6), ("harvest-short", 0.4))),
            clients=_SDK,
            models=Models((0.7, 0.3, 0.0)),
            max_tokens=((0, 0.4), (512, 0.6)),
        ),
    ),
)


def _campaign_styles(
    single: Timing,
    multi: Sessions,
    clients: Clients,
    models: Models,
    error_rate: float,
    rate_limited: float,
) -> tuple[Behavior, ...]:
    """What one operator's pipeline harvests, drawn per campaign.

    Public disclosures describe reasoning traces and rubric grading, agentic tool use and coding,
    and chat data; labelling and short-answer data are cheap to harvest too. Single-request styles
    follow the population's timing; multi-turn styles (agent traces, replayed chats) run as
    scripted conversations.
    """

    def style(name: str, share: float, timing: Timing, content: Content, **kwargs: object) -> Behavior:
        return Behavior(
            name=name,
            share=share,
            timing=timing,
            content=content,
            clients=clients,
            models=models,
            error_rate=error_rate,
            rate_limited=rate_limited,
            **kwargs,  # type: ignore[arg-type]
        )

    chat = replace(multi, turns_mean=2.3, conversations_per_session=multi.conversations_per_session)
    return (
        style(
            "reasoning-traces", 0.28, single, Content(ContentMode.TEMPLATES, _HARVEST_MIX),
            max_tokens=_LONG_MAX_TOKENS, output_scale=LogNormal(1.0, 0.4),
        ),
        style(
            "plain-questions", 0.14, single, Content(ContentMode.TEMPLATES, (("plain", 1.0),)),
            max_tokens=((0, 0.3), (8192, 0.4), (16000, 0.3)), output_scale=LogNormal(1.0, 0.4),
        ),
        style(
            "code", 0.10, single, Content(ContentMode.TEMPLATES, (("harvest-code", 1.0),)),
            max_tokens=_LONG_MAX_TOKENS, output_scale=LogNormal(0.8, 0.4),
        ),
        style(
            "short-labels", 0.14, single,
            Content(ContentMode.TEMPLATES, (("app", 0.6), ("harvest-short", 0.4))),
            max_tokens=((0, 0.4), (256, 0.3), (1024, 0.3)), output_scale=LogNormal(1.0, 0.5),
        ),
        style(
            "agent-traces", 0.16, multi,
            Content(ContentMode.TEMPLATES, (("coding-agent", 0.7), ("harvest-agentic", 0.3))),
            max_tokens=_LONG_MAX_TOKENS, output_scale=LogNormal(0.8, 0.5),
        ),
        style(
            "chat-replay", 0.18, chat, Content(ContentMode.CONVERSATIONS),
            max_tokens=((0, 0.3), (4096, 0.4), (8192, 0.3)), output_scale=LogNormal(1.0, 0.3),
        ),
    )  # fmt: skip


# Scripted conversations: no reading time, many conversations back to back, any hour.
_SCRIPTED = Sessions(
    Rhythm.FLAT,
    turns_mean=5.0,
    conversations_per_session=10.0,
    think=LogNormal(4.0, 0.6),
    pause=LogNormal(20.0, 0.8),
    day_spread=3.0,
)

SWARM = PopulationSpec(
    label="campaign_swarm",
    campaign=True,
    category=Category.CAMPAIGN,
    rationale=(
        "Burst-created fraudulent accounts behind a rotating residential proxy pool (public "
        "reports: ~24,000 accounts, ~667 exchanges each; one proxy network ran 20,000+ accounts "
        "at once). Created within hours, a few shared cards, often one client fingerprint, shared "
        "work windows; half the traffic moves to a newly released model within 24 hours. Campaign "
        "sizes are heavy-tailed (median ~12 accounts in this window, from one to thousands), and "
        "each operator harvests in its own style: long reasoning traces, plain questions to a "
        "reasoning model, code, short labels and answers, multi-turn agent traces or replayed chats."
    ),
    volume=Volume(per_account_day=95.0, sigma=0.35, rate_sigma=0.4, group_sigma=0.5),
    identity=Identity(
        grouping=Grouping.CAMPAIGN,
        network=Network(
            NetworkKind.PROXY, pool_per_account=3.0, pool_sigma=0.8, rotate_per_request=True, shared_exit=0.2
        ),
        payment=Payment(PaymentKind.FEW, missing=0.1, accounts_per_card=30.0, card_sigma=1.2),
        created_days_ago=(-1.5, 0.5),
        group_size=LogNormal(12.0, 1.2),
        group_size_bounds=(1, 20_000),
        behavior_per_group=True,
        style_mix=0.5,
        burst_hours=4.0,
        burst_sigma=1.0,
        keys=(1, 1),
    ),
    behaviors=_campaign_styles(
        Waves(per_day=3, hours=2.5, participation=0.8, jitter_minutes=12.0),
        _SCRIPTED,
        Clients((("sdk", 1.0),), shared_by_group=0.7),
        Models((1.0, 0.0, 0.0), adoption=0.5, ramp_hours=24.0),
        error_rate=0.05,
        rate_limited=0.9,
    ),
)

SWARM_EVASIVE = replace(
    SWARM,
    rationale=SWARM.rationale + " Evasive variant: browser user agents per account, more cards, "
    "creation spread over a day with late joiners, and shorter, less synchronized waves.",
    identity=replace(
        SWARM.identity,
        payment=Payment(PaymentKind.FEW, missing=0.2, accounts_per_card=8.0, card_sigma=1.0),
        burst_hours=24.0,
        late_joiners=0.3,
    ),
    behaviors=_campaign_styles(
        Waves(per_day=6, hours=1.5, participation=0.5, jitter_minutes=45.0),
        replace(_SCRIPTED, rhythm=Rhythm.PERSONAL, think=LogNormal(20.0, 0.8)),
        Clients((("browser", 1.0),)),
        Models((1.0, 0.0, 0.0), adoption=0.5, ramp_hours=24.0),
        error_rate=0.04,
        rate_limited=0.9,
    ),
)

_HUMANLIKE = Sessions(
    Rhythm.PERSONAL, conversations_per_session=4.0, pause=LogNormal(90.0, 0.8), day_spread=3.0
)

LOW_AND_SLOW = PopulationSpec(
    label="campaign_low_and_slow",
    campaign=True,
    category=Category.CAMPAIGN,
    rationale=(
        "Many accounts each at human rates (~25,000 accounts, 28.8M exchanges in six weeks is ~26 "
        "per account per day; operators differ, so 5-60 a day) and human rhythm, aged for weeks "
        "before use, so per-account limits never fire; the accounts share an operator's time zone, "
        "proxy pool and a few cards - they must be linked to be seen. Styles as for swarms, with "
        "human-paced sessions."
    ),
    volume=Volume(per_account_day=18.0, sigma=0.4, rate_sigma=0.3, group_sigma=0.4),
    identity=Identity(
        grouping=Grouping.CAMPAIGN,
        network=Network(NetworkKind.PROXY, pool_per_account=1.5, pool_sigma=0.6, shared_exit=0.3),
        payment=Payment(PaymentKind.FEW, missing=0.15, accounts_per_card=6.0, card_sigma=1.0),
        created_days_ago=(14.0, 45.0),
        group_size=LogNormal(10.0, 1.0),
        group_size_bounds=(1, 25_000),
        behavior_per_group=True,
        style_mix=0.5,
        keys=(1, 1),
        timezone=TimezoneMode.GROUP,
    ),
    behaviors=_campaign_styles(
        _HUMANLIKE,
        Sessions(Rhythm.PERSONAL, turns_mean=4.0, conversations_per_session=2.0, day_spread=3.0),
        Clients((("browser", 1.0),)),
        Models((0.9, 0.1, 0.0), adoption=0.3, ramp_hours=48.0),
        error_rate=0.01,
        rate_limited=0.5,
    ),
)

_PARAPHRASE_CONTENT = Content(ContentMode.TEMPLATES, (("paraphrase", 1.0),))
_PARAPHRASE_MAX_TOKENS = ((0, 0.2), (4096, 0.2), (8192, 0.3), (16000, 0.3))

PARAPHRASE = PopulationSpec(
    label="campaign_paraphrase",
    campaign=True,
    category=Category.CAMPAIGN,
    rationale=(
        "Every instruction reworded combinatorially (openers x task phrases x reasoning asks x "
        "format asks) and half of it in other languages - Google reported a 100k+ prompt "
        "reasoning-trace campaign with many non-English prompts - so exact and near-duplicate "
        "template hashing finds little; rotating clients and looser timing; answer depth differs "
        "by operator."
    ),
    volume=Volume(per_account_day=60.0, sigma=0.5, rate_sigma=0.3, group_sigma=0.4),
    identity=Identity(
        grouping=Grouping.CAMPAIGN,
        network=Network(
            NetworkKind.PROXY, pool_per_account=2.0, pool_sigma=0.6, rotate_per_request=True, shared_exit=0.2
        ),
        payment=Payment(PaymentKind.FEW, missing=0.1, accounts_per_card=12.0, card_sigma=1.0),
        created_days_ago=(10.0, 20.0),
        group_size=LogNormal(6.0, 0.9),
        group_size_bounds=(1, 5_000),
        behavior_per_group=True,
        style_mix=0.5,
        burst_hours=24.0,
        burst_sigma=0.7,
        late_joiners=0.3,
        keys=(1, 1),
    ),
    behaviors=tuple(
        Behavior(
            name=name,
            share=share,
            timing=timing,
            content=_PARAPHRASE_CONTENT,
            clients=Clients((("sdk", 0.6), ("browser", 0.4)), per_account=(1, 3)),
            models=Models((0.85, 0.15, 0.0), adoption=0.4, ramp_hours=48.0),
            max_tokens=_PARAPHRASE_MAX_TOKENS,
            error_rate=0.03,
            rate_limited=0.8,
            output_scale=LogNormal(1.0, 0.6),
        )
        for name, share, timing in (
            ("paraphrase-waves", 0.6, Waves(per_day=4, hours=4.0, participation=0.6, jitter_minutes=30.0)),
            ("paraphrase-steady", 0.4, Steady(Rhythm.PERSONAL, amplitude=0.5)),
        )
    ),
)

BOT = PopulationSpec(
    label="campaign_bot",
    campaign=True,
    category=Category.CAMPAIGN,
    rationale=(
        "One account on a server looping over a prompt dataset around the clock at evenly spaced "
        "intervals, far beyond any person's volume (Compulife v. Newman: ~43M quotes in ~4 days): "
        "the single-account campaign. Some loop for long reasoning traces, some for short labels."
    ),
    volume=Volume(per_account_day=10_000.0, sigma=0.0, max_accounts=1),
    identity=Identity(
        grouping=Grouping.CAMPAIGN,
        network=Network(NetworkKind.CLOUD, addresses=(1, 1)),
        payment=Payment(PaymentKind.OWN),
        created_days_ago=(20.0, 60.0),
        behavior_per_group=True,
        style_mix=0.5,
        keys=(1, 1),
    ),
    behaviors=(
        Behavior(
            name="clockwork-traces",
            share=0.6,
            timing=Periodic(jitter=0.05),
            content=Content(
                ContentMode.TEMPLATES, (("bot", 0.6), ("harvest-reasoning", 0.2), ("harvest-code", 0.2))
            ),
            clients=_SDK,
            models=Models((1.0, 0.0, 0.0)),
            max_tokens=((8192, 1.0),),
            error_rate=0.06,
            rate_limited=0.95,
        ),
        Behavior(
            name="clockwork-labels",
            share=0.4,
            timing=Periodic(jitter=0.05),
            content=Content(ContentMode.TEMPLATES, (("app", 0.5), ("harvest-short", 0.5))),
            clients=_SDK,
            models=Models((0.6, 0.4, 0.0)),
            max_tokens=((0, 0.5), (512, 0.5)),
            error_rate=0.06,
            rate_limited=0.95,
        ),
    ),
)

PRESETS: dict[str, PopulationSpec] = {
    "interactive": INTERACTIVE,
    "coding-agent": CODING_AGENT,
    "automated-app": AUTOMATED_APP,
    "app-backend": APP_BACKEND,
    "eval-pipeline": EVAL_PIPELINE,
    "research": RESEARCH,
    "enterprise": ENTERPRISE,
    "licensed": LICENSED,
    "swarm": SWARM,
    "swarm-evasive": SWARM_EVASIVE,
    "low-and-slow": LOW_AND_SLOW,
    "paraphrase": PARAPHRASE,
    "bot": BOT,
}
