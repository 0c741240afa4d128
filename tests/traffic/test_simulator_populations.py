"""Properties that make each population realistic, and that ids carry no hint of the population.

One `default` run is shared by most tests; scenario-specific properties use small runs of their
own. Thresholds are loose enough for any seed and tight enough to fail if a behaviour vanished.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pytest

from distillgov.traffic.simulator import SimulationConfig, simulate
from distillgov.traffic.simulator.prompts import load_prompt_pool

POPULATIONS = {
    "interactive",
    "coding_agent",
    "automated_app",
    "app_backend",
    "eval_pipeline",
    "research",
    "enterprise",
    "licensed_distillation",
    "campaign_swarm",
    "campaign_low_and_slow",
    "campaign_paraphrase",
    "campaign_bot",
}


@pytest.fixture(autouse=True, scope="module")
def _private_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DISTILLGOV_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
        yield


def _database(out: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute(f"CREATE VIEW e AS SELECT * FROM read_parquet('{out / 'exchanges.parquet'}')")
    con.execute(f"CREATE VIEW l AS SELECT * FROM read_parquet('{out / 'labels.parquet'}')")
    con.execute("CREATE VIEW x AS SELECT * FROM e JOIN l USING (account_id)")
    con.execute(
        "CREATE VIEW people AS SELECT * FROM x WHERE population = 'interactive' AND behavior = 'chat'"
    )
    con.execute("CREATE MACRO subnet(ip) AS regexp_extract(ip, '^(\\d+\\.\\d+\\.\\d+)\\.')")
    return con


@pytest.fixture(scope="module")
def default_run(tmp_path_factory: pytest.TempPathFactory, _private_cache: None) -> duckdb.DuckDBPyConnection:
    out = tmp_path_factory.mktemp("default")
    simulate(SimulationConfig(out=out, rows=100_000, seed=11))
    return _database(out)


def _rows(con: duckdb.DuckDBPyConnection, sql: str) -> list[tuple[Any, ...]]:
    return con.execute(sql).fetchall()


def _scalar(con: duckdb.DuckDBPyConnection, sql: str) -> Any:
    return con.execute(sql).fetchone()[0]  # type: ignore[index]


def test_default_has_every_population_and_campaign_type(default_run: duckdb.DuckDBPyConnection) -> None:
    present = {p for (p,) in _rows(default_run, "SELECT DISTINCT population FROM x")}
    assert present == POPULATIONS
    campaign_share = _scalar(default_run, "SELECT avg((population LIKE 'campaign_%')::INT) FROM x")
    assert 0.02 < campaign_share < 0.08
    campaigns = _rows(
        default_run,
        "SELECT population, count(DISTINCT campaign_id) FROM l WHERE campaign_id IS NOT NULL GROUP BY 1",
    )
    assert {p for p, n in campaigns if n >= 1} == {p for p in POPULATIONS if p.startswith("campaign_")}


def test_people_are_multi_turn_real_and_diurnal(default_run: duckdb.DuckDBPyConnection) -> None:
    turns = _scalar(
        default_run,
        "SELECT avg(n) FROM (SELECT count(*) n FROM people GROUP BY conversation_id)",
    )
    assert 1.8 < turns < 2.8
    # Follow-up turns re-send the conversation so far.
    growth = _rows(
        default_run,
        "SELECT turn_index > 0, median(input_tokens) FROM people GROUP BY 1 ORDER BY 1",
    )
    assert growth[1][1] > 2 * growth[0][1]
    # Real ShareGPT questions, paired with the real answer's opening.
    pool = load_prompt_pool().turns
    answers: dict[str, list[str]] = defaultdict(list)
    for question, answer in zip(
        pool.column("prompt").to_pylist(), pool.column("answer").to_pylist(), strict=True
    ):
        answers[question].append(answer)  # some questions ("continue") recur with different answers
    sample = _rows(
        default_run,
        "SELECT prompt, completion FROM people WHERE status = 'ok' LIMIT 500",
    )
    assert all(prompt in answers for prompt, _ in sample)
    assert all(any(a.startswith(completion) for a in answers[prompt]) for prompt, completion in sample)
    # Each person has a night: the quietest 6 hours of their day hold few of their requests.
    hours = defaultdict(lambda: np.zeros(24))
    for account, hour, n in _rows(
        default_run,
        "SELECT account_id, hour(timestamp), count(*) FROM people "
        "WHERE account_id IN (SELECT account_id FROM x GROUP BY 1 HAVING count(*) >= 60) GROUP BY 1, 2",
    ):
        hours[account][hour] = n
    quietest = [min(np.roll(h, -s)[:6].sum() for s in range(24)) / h.sum() for h in hours.values()]
    assert len(quietest) >= 20
    assert np.median(quietest) < 0.07  # uniform arrivals would give about 0.2


def test_weekends_are_quieter_for_people_and_near_silent_for_offices(
    default_run: duckdb.DuckDBPyConnection,
) -> None:
    # Active accounts per day, not rows: one heavy account's busy Saturday must not decide it.
    ratio = dict(
        _rows(
            default_run,
            "SELECT population, avg(CASE WHEN dayofweek(timestamp) IN (0, 6) THEN n END) / "
            "avg(CASE WHEN dayofweek(timestamp) NOT IN (0, 6) THEN n END) FROM "
            "(SELECT population, timestamp::DATE AS timestamp, count(DISTINCT account_id) n FROM x "
            " WHERE behavior IN ('chat', 'staff', 'classifier') GROUP BY 1, 2) GROUP BY 1",
        )
    )
    assert (
        ratio["interactive"] < 0.95
    )  # fewer people active at weekends (heavy-tailed, so noisy at 100k rows)
    assert ratio["enterprise"] < 0.5
    assert ratio["automated_app"] > 0.8


def test_volume_is_heavy_tailed_and_the_bot_is_machine_scale(tmp_path: Path) -> None:
    simulate(SimulationConfig(out=tmp_path, rows=40_000, seed=5, scenario="bot"))
    con = _database(tmp_path)
    p50, p99 = _rows(
        con,
        "SELECT quantile_cont(n, 0.5), quantile_cont(n, 0.99) "
        "FROM (SELECT count(*) n FROM people GROUP BY account_id)",
    )[0]
    assert p99 > 8 * p50
    bot = _rows(con, "SELECT account_id, count(*) FROM x WHERE population = 'campaign_bot' GROUP BY 1")
    assert len(bot) == 1 and bot[0][1] > 5 * p99
    times = np.array(
        [
            t.timestamp()
            for (t,) in _rows(con, "SELECT timestamp FROM x WHERE population = 'campaign_bot' ORDER BY 1")
        ]
    )
    gaps = np.diff(times)
    assert gaps.std() / gaps.mean() < 0.2  # clockwork, unlike anyone else
    hours = {
        h for (h,) in _rows(con, "SELECT DISTINCT hour(timestamp) FROM x WHERE population = 'campaign_bot'")
    }
    assert len(hours) == 24


def test_eval_pipelines_replay_identical_prompts_every_run(default_run: duckdb.DuckDBPyConnection) -> None:
    rows = _rows(
        default_run,
        "SELECT account_id, timestamp, prompt, model FROM x WHERE population = 'eval_pipeline' ORDER BY 1, 2",
    )
    runs: dict[str, list[list[tuple[str, str]]]] = defaultdict(list)
    last: dict[str, Any] = {}
    for account, time, prompt, model in rows:
        # A run ends at a pause, or where a request repeats one of the run (runs may abut).
        if (
            account not in last
            or (time - last[account]).total_seconds() > 3_600
            or (prompt, model) in runs[account][-1]
        ):
            runs[account].append([])
        runs[account][-1].append((prompt, model))
        last[account] = time
    for account_runs in runs.values():
        full = [r for r in account_runs if len(r) == max(len(x) for x in account_runs)]
        assert len(full) >= 3
        prompt_sets = {frozenset(p for p, _ in run) for run in full}
        assert len(prompt_sets) == 1, "every run replays the same benchmark"
        counts = Counter(p for p, _ in full[0])
        models = {m for _, m in full[0]}
        assert set(counts.values()) == {len(models)}, "each item once per model of the sweep"
        assert all("step by step" in p for p in counts)
    sizes = [len({p for p, _ in max(r, key=len)}) for r in runs.values()]
    assert min(sizes) < 50 <= max(sizes), "small CI checks and larger sweeps both occur"


def test_enterprises_share_org_card_subnet_and_onboarding_day(default_run: duckdb.DuckDBPyConnection) -> None:
    orgs = _rows(
        default_run,
        "SELECT organization_id, count(DISTINCT account_id), count(DISTINCT payment_fingerprint), "
        "count(DISTINCT subnet(client_ip)), "
        "(SELECT quantile_cont(c, 0.75) - quantile_cont(c, 0.25) FROM (SELECT DISTINCT y.account_id, "
        " epoch(y.account_created_at) c FROM x y WHERE y.organization_id = x.organization_id)) "
        "FROM x WHERE population = 'enterprise' GROUP BY 1",
    )
    assert max(size for _, size, *_ in orgs) >= 10
    for _, size, cards, subnets, spread in orgs:
        assert cards == 1 and subnets == 1
        if size >= 10:
            assert spread < 86_400
    personal = _scalar(
        default_run,
        "SELECT max(n) FROM (SELECT count(DISTINCT account_id) n FROM people GROUP BY organization_id)",
    )
    assert personal == 1


def test_swarms_are_burst_created_proxied_and_switch_models(tmp_path: Path) -> None:
    simulate(SimulationConfig(out=tmp_path, rows=80_000, seed=8, scenario="swarm"))
    con = _database(tmp_path)
    campaigns = _rows(
        con,
        "SELECT campaign_id, count(DISTINCT account_id), "
        "max(epoch(account_created_at)) - min(epoch(account_created_at)), "
        "count(DISTINCT payment_fingerprint), "
        "count(DISTINCT subnet(client_ip)) FROM x WHERE population = 'campaign_swarm' GROUP BY 1",
    )
    assert sum(accounts for _, accounts, *_ in campaigns) >= 12
    for _, accounts, span, cards, subnets in campaigns:
        assert span <= 3 * 86_400  # a burst: hours to a couple of days, whatever the campaign
        assert subnets >= min(5, accounts)
        if accounts >= 20:
            assert cards <= accounts / 2
    # Half the swarm's traffic moves to the new model within a day of its release.
    release = _scalar(con, "SELECT min(timestamp) FROM x WHERE model = 'atlas-4.5-large'")
    moved = _scalar(
        con,
        "SELECT avg((model = 'atlas-4.5-large')::INT) FROM x WHERE population = 'campaign_swarm' "
        f"AND timestamp > TIMESTAMPTZ '{release}' + INTERVAL 1 DAY AND model IN ('atlas-4-large', "
        "'atlas-4.5-large')",
    )
    assert 0.35 < moved < 0.65


def test_low_and_slow_accounts_stay_at_human_rates(default_run: duckdb.DuckDBPyConnection) -> None:
    daily = [
        n / 7
        for (n,) in _rows(
            default_run,
            "SELECT count(*) FROM x WHERE population = 'campaign_low_and_slow' GROUP BY account_id",
        )
    ]
    assert len(daily) >= 3
    assert 10 < np.median(daily) < 45


def test_paraphrases_defeat_exact_template_hashing(default_run: duckdb.DuckDBPyConnection) -> None:
    prompts = [
        p for (p,) in _rows(default_run, "SELECT prompt FROM x WHERE population = 'campaign_paraphrase'")
    ]
    openings = Counter(p.split(":")[0][:60] for p in prompts)
    assert len(openings) > 60
    assert max(openings.values()) < 0.1 * len(prompts)
    non_english = sum(not p[:20].isascii() for p in prompts) / len(prompts)
    assert 0.2 < non_english < 0.7


_ID_COLUMNS = (
    "request_id",
    "account_id",
    "organization_id",
    "api_key_id",
    "payment_fingerprint",
    "conversation_id",
)


def test_id_formats_are_identical_across_populations(default_run: duckdb.DuckDBPyConnection) -> None:
    for column in _ID_COLUMNS:
        shapes = _rows(
            default_run,
            f"SELECT DISTINCT regexp_replace({column}, '[0-9a-z]', '#', 'g') FROM x "
            f"WHERE {column} IS NOT NULL",
        )
        assert len(shapes) == 1, column
    ips = _scalar(
        default_run,
        "SELECT count(*) FROM x WHERE NOT regexp_full_match(client_ip, '\\d{1,3}(\\.\\d{1,3}){3}')",
    )
    assert ips == 0


def _naive_bayes_accuracy(ids: list[str], labels: list[bool]) -> float:
    """Balanced accuracy of a per-position character model trained on half, tested on the rest."""
    chars = np.array([list(i) for i in ids])
    y = np.array(labels)
    train = np.arange(len(ids)) % 2 == 0
    scores = np.zeros(len(ids))
    for position in range(chars.shape[1]):
        for cls, sign in ((True, 1.0), (False, -1.0)):
            column = chars[train & (y == cls), position]
            counts = Counter(column)
            total = len(column) + 32
            scores += sign * np.log(np.array([(counts[c] + 1) / total for c in chars[:, position]]))
    prediction = scores > np.median(scores[train])
    test = ~train
    return float(np.mean([np.mean(prediction[test & (y == c)] == c) for c in (True, False)]))


def test_a_classifier_on_id_strings_is_at_chance(default_run: duckdb.DuckDBPyConnection) -> None:
    for column in ("account_id", "organization_id", "payment_fingerprint"):
        rows = _rows(
            default_run,
            f"SELECT DISTINCT {column}, population FROM x "
            f"WHERE population IN ('interactive', 'enterprise', 'automated_app', 'eval_pipeline') "
            f"AND {column} IS NOT NULL",
        )
        accuracy = _naive_bayes_accuracy([r[0] for r in rows], [r[1] == "interactive" for r in rows])
        assert accuracy < 0.6, column
    rows = _rows(
        default_run,
        "SELECT request_id, population LIKE 'campaign_%' FROM x USING SAMPLE 20000 ROWS (reservoir, 1)",
    )
    assert _naive_bayes_accuracy([r[0] for r in rows], [bool(r[1]) for r in rows]) < 0.6


def test_labels_are_not_in_the_traffic(default_run: duckdb.DuckDBPyConnection) -> None:
    labels = {p for (p,) in _rows(default_run, "SELECT DISTINCT population FROM l")}
    labels |= {
        c for (c,) in _rows(default_run, "SELECT DISTINCT campaign_id FROM l WHERE campaign_id IS NOT NULL")
    }
    columns = [c for (c,) in _rows(default_run, "SELECT column_name FROM (DESCRIBE e)")]
    listed = ", ".join(repr(v) for v in labels)
    for column in columns:
        if column in ("prompt", "completion"):
            continue
        hits = _scalar(
            default_run,
            f"SELECT count(*) FROM e WHERE CAST({column} AS VARCHAR) IN ({listed})",
        )
        assert hits == 0, column
