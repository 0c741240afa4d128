"""Detection benchmarks: quality on fresh simulator seeds, and speed on a 10M-exchange store.

`detect-quality` simulates each scenario below with a seed that was never used while developing
detection (development used 101 and 102; tests use 7301), runs detection, and only then reads
the labels. `detect` times `distillgov detect` on the ingest benchmark's store next to a bare
DuckDB `GROUP BY account_id` over the same files, in the same run.

    python -m benchmarks.run --only detect-quality --rows 1000000
    python -m benchmarks.run --only detect-latency --rows 1000000
    python -m benchmarks.run --only detect --rows 10000000
"""

from __future__ import annotations

import json
import shutil
import sys
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from benchmarks.measure import python_snippet, run_measured

DISTILLGOV = [str(Path(sys.executable).with_name("distillgov"))]
# (scenario, seed): fresh seeds, written down so anyone can regenerate the exact traffic.
# Seeds 9101-9107 were the first benchmark run; it exposed baselines dragged up by campaigns
# making up several percent of accounts (recall 0.25). After the fix (robust percentiles,
# calibration on conversational accounts) the benchmark moved to seeds never looked at: 9201-9207.
# The simulator then gained hard negatives and seeded campaign mixes (session 2); seeds 9201-9202 were
# scored once on it before detection was reworked, so the benchmark moved again, to 9301-9307.
QUALITY_RUNS: tuple[tuple[str, int], ...] = (
    ("default", 9301),
    ("mixed-hard", 9302),
    ("benign-only", 9303),
    ("swarm", 9304),
    ("low-and-slow", 9305),
    ("paraphrase", 9306),
    ("bot", 9307),
)
# Licensed distillation is distillation by behaviour: whether it should be flagged is the law's and the
# registry's call, not detection's, so it counts in neither precision nor a false-positive rate; its
# flag rate is reported on its own.
POLICY_CATEGORIES = ("licensed_distillation",)
QUALITY_MAX_ROWS = 1_000_000
BENIGN = ("interactive", "automated_app", "eval_pipeline", "enterprise")
TARGETS = {
    "account_recall": 0.95,
    "account_precision": 0.95,
    "eval_pipeline_fpr": 0.005,
    "enterprise_fpr": 0.005,
}
SPEED_TARGETS = {"wall_s": 180.0, "peak_rss_mib": 6 * 1024.0, "ratio_to_group_by": 10.0}
STORE_SEED = 20261123  # the ingest benchmark's traffic (benchmarks/run.py SEED)


def score_run(findings: dict[str, Any], labels: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Account, campaign and per-population figures of one findings document against labels."""
    flagged = {a["account_id"]: a["campaign_id"] for a in findings["accounts"] if a["flagged"]}
    populations: dict[str, list[str]] = defaultdict(list)
    truth: dict[str, list[str]] = defaultdict(list)
    for account, label in labels.items():
        populations[label["population"]].append(account)
        if label["campaign_id"] is not None:
            truth[label["campaign_id"]].append(account)
    positives = {a for a, label in labels.items() if label["campaign_id"] is not None}
    policy = {a for a, label in labels.items() if label.get("category") in POLICY_CATEGORIES}
    true_pos = len(positives & flagged.keys())
    judged_flags = len(flagged.keys() - policy)
    per_population = {
        name: {
            "accounts": len(members),
            "flagged": sum(a in flagged for a in members),
            "rate": round(sum(a in flagged for a in members) / len(members), 5),
        }
        for name, members in sorted(populations.items())
    }
    found = 0
    campaigns: dict[str, dict[str, Any]] = {}
    for campaign, members in sorted(truth.items()):
        ids = Counter(flagged[a] for a in members if a in flagged)
        best = ids.most_common(1)[0][1] if ids else 0
        ok = best > len(members) / 2
        found += ok
        population = labels[members[0]]["population"]
        campaigns[campaign] = {"population": population, "accounts": len(members), "found": ok}
    return {
        "accounts": len(labels),
        "campaign_accounts": len(positives),
        "flagged": len(flagged),
        "flagged_policy_categories": len(flagged.keys() & policy),
        "account_recall": round(true_pos / len(positives), 4) if positives else None,
        "account_precision": round(true_pos / judged_flags, 4) if judged_flags else None,
        "campaign_recall": round(found / len(truth), 4) if truth else None,
        "campaigns": campaigns,
        "populations": per_population,
    }


def _labels(folder: Path) -> dict[str, dict[str, Any]]:
    return {r["account_id"]: r for r in pq.read_table(folder / "labels.parquet").to_pylist()}


def bench_detect_quality(rows: int, work: Path) -> dict[str, Any]:
    """Quality per scenario on fresh seeds, and pooled per-population false-positive rates."""
    rows = min(rows, QUALITY_MAX_ROWS)
    runs = []
    pooled: dict[str, Counter[str]] = defaultdict(Counter)
    for scenario, seed in QUALITY_RUNS:
        folder = work / f"quality-{scenario}-{seed}"
        if folder.exists():
            shutil.rmtree(folder)
        run_measured(
            [*DISTILLGOV, "simulate", "--rows", str(rows), "--seed", str(seed), "--scenario", scenario,
             "--format", "parquet", "--out", str(folder), "--quiet"]
        )  # fmt: skip
        findings_path = folder / "findings.json"
        detection = run_measured(
            [*DISTILLGOV, "detect", str(folder / "exchanges.parquet"), "--out", str(findings_path), "--quiet"]
        )
        result = score_run(json.loads(findings_path.read_text()), _labels(folder))
        for name, figures in result["populations"].items():
            pooled[name]["accounts"] += figures["accounts"]
            pooled[name]["flagged"] += figures["flagged"]
        runs.append(
            {"scenario": scenario, "seed": seed, "rows": rows, "detect_wall_s": detection.wall_s, **result}
        )
    rates = {
        name: {**counts, "rate": round(counts["flagged"] / counts["accounts"], 5)}
        for name, counts in sorted(pooled.items())
    }
    positives = sum(r["campaign_accounts"] for r in runs)
    flagged = sum(r["flagged"] - r["flagged_policy_categories"] for r in runs)
    true_pos = sum(v["flagged"] for k, v in rates.items() if k.startswith("campaign"))
    overall = {
        "account_recall": round(true_pos / positives, 4),
        "account_precision": round(true_pos / flagged, 4) if flagged else None,
        "eval_pipeline_fpr": rates.get("eval_pipeline", {}).get("rate"),
        "enterprise_fpr": rates.get("enterprise", {}).get("rate"),
    }
    met = {
        "account_recall": overall["account_recall"] >= TARGETS["account_recall"],
        "account_precision": (overall["account_precision"] or 0) >= TARGETS["account_precision"],
        "eval_pipeline_fpr": (overall["eval_pipeline_fpr"] or 0) <= TARGETS["eval_pipeline_fpr"],
        "enterprise_fpr": (overall["enterprise_fpr"] or 0) <= TARGETS["enterprise_fpr"],
    }
    return {
        "overall": overall,
        "targets": TARGETS,
        "targets_met": met,
        "populations": rates,
        "runs": runs,
    }


LATENCY_RUN = ("default", 9208)


def bench_detect_latency(rows: int, work: Path) -> dict[str, Any]:
    """Incremental mode, one day at a time: how much a campaign collects before it is first flagged.

    Each simulated day is absorbed by `distillgov detect DAY --state DIR` (as a provider would
    run it nightly); a campaign's latency is the requests it sent up to and including the day
    after which any of its accounts was first flagged. Summaries per campaign type follow.
    """
    rows = min(rows, QUALITY_MAX_ROWS)
    detail = detection_latency(rows, work)
    return {**detail, "by_population": _latency_by_population(detail)}


def _latency_by_population(detail: dict[str, Any]) -> dict[str, Any]:
    """Per campaign type: how many were flagged, after how many requests and days (median, max)."""
    flagged: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for found in detail["campaigns"].values():
        flagged[found["population"]].append(found)
    never = Counter(c["population"] for c in detail["never_flagged"].values())
    out: dict[str, Any] = {}
    for population in sorted({*flagged, *never}):
        found = flagged.get(population, [])
        requests = sorted(f["requests_by_then"] for f in found)
        days = sorted(f["first_flagged_after_day"] for f in found)
        out[population] = {
            "campaigns": len(found) + never[population],
            "flagged": len(found),
            "never_flagged": never[population],
            "requests_before_flag_median": requests[len(requests) // 2] if requests else None,
            "requests_before_flag_max": requests[-1] if requests else None,
            "days_before_flag_median": days[len(days) // 2] if days else None,
            "days_before_flag_max": days[-1] if days else None,
        }
    return out


def detection_latency(rows: int, work: Path) -> dict[str, Any]:
    """Day-by-day incremental detection over one simulated week; first flag per campaign."""
    scenario, seed = LATENCY_RUN
    folder = work / f"latency-{scenario}-{seed}"
    if folder.exists():
        shutil.rmtree(folder)
    run_measured(
        [*DISTILLGOV, "simulate", "--rows", str(rows), "--seed", str(seed), "--scenario", scenario,
         "--format", "parquet", "--split-by-day", "--out", str(folder), "--quiet"]
    )  # fmt: skip
    labels = _labels(folder)
    days = sorted((folder / "exchanges").glob("*.parquet"))
    members: dict[str, set[str]] = defaultdict(set)
    for account, label in labels.items():
        if label["campaign_id"] is not None:
            members[label["campaign_id"]].add(account)
    requests_so_far: Counter[str] = Counter()
    first_flag: dict[str, dict[str, Any]] = {}
    for day_number, day in enumerate(days, start=1):
        accounts = pq.read_table(day, columns=["account_id"]).column(0).to_pylist()
        for account in accounts:
            campaign = labels[account]["campaign_id"]
            if campaign is not None:
                requests_so_far[campaign] += 1
        out = folder / f"findings-day{day_number}.json"
        run_measured(
            [*DISTILLGOV, "detect", str(day), "--state", str(folder / "state"), "--out", str(out), "--quiet"]
        )
        flagged = {a["account_id"] for a in json.loads(out.read_text())["accounts"] if a["flagged"]}
        for campaign, accounts_of in members.items():
            if campaign not in first_flag and accounts_of & flagged:
                first_flag[campaign] = {
                    "population": labels[next(iter(accounts_of))]["population"],
                    "accounts": len(accounts_of),
                    "first_flagged_after_day": day_number,
                    "requests_by_then": requests_so_far[campaign],
                    "accounts_flagged_then": len(accounts_of & flagged),
                }
    for campaign, found in first_flag.items():  # what it sent over the whole week, for scale
        found["requests_total"] = requests_so_far[campaign]
        found["share_of_requests_before_flag"] = round(
            found["requests_by_then"] / requests_so_far[campaign], 4
        )
    never = {
        c: {"population": labels[next(iter(m))]["population"], "requests_total": requests_so_far[c]}
        for c, m in members.items()
        if c not in first_flag
    }
    return {"scenario": scenario, "seed": seed, "rows": rows, "campaigns": first_flag, "never_flagged": never}


_BARE_GROUP_BY = (
    "import duckdb, sys; con = duckdb.connect(); con.execute('SET threads = 2'); "
    'print(con.execute(f"SELECT count(*) FROM (SELECT account_id, count(*) '
    "FROM read_parquet('{sys.argv[1]}') GROUP BY account_id)\").fetchone())"
)


def bench_detect(rows: int, work: Path) -> dict[str, Any]:
    """Store -> findings wall time and peak memory on 2 threads, against a bare GROUP BY."""
    store = work / "store-parquet"
    if not (store / "store.json").exists():
        sim = work / "detect-sim"
        if sim.exists():
            shutil.rmtree(sim)
        run_measured(
            [*DISTILLGOV, "simulate", "--rows", str(rows), "--seed", str(STORE_SEED), "--scenario", "default",
             "--format", "parquet", "--out", str(sim), "--quiet"]
        )  # fmt: skip
        run_measured([*DISTILLGOV, "ingest", str(sim / "exchanges.parquet"), "--out", str(store), "--quiet"])
    files = str(store / "exchanges" / "date=*" / "*.parquet")
    bare = run_measured([*python_snippet(_BARE_GROUP_BY), files])
    out = work / "detect-findings.json"
    timings = work / "detect-timings.json"
    detect = run_measured(
        [*DISTILLGOV, "detect", str(store), "--out", str(out), "--threads", "2", "--timings", str(timings),
         "--quiet"]
    )  # fmt: skip
    ratio = detect.wall_s / bare.wall_s
    summary = json.loads(out.read_text())["summary"]
    return {
        "rows": rows,
        "store": str(store),
        "bare_group_by": bare.as_dict(),
        "detect": detect.as_dict(),
        "stages": json.loads(timings.read_text())["stages"],
        "findings_summary": summary,
        "ratio_to_group_by": round(ratio, 2),
        "targets": SPEED_TARGETS,
        "targets_met": {
            "wall_s": detect.wall_s < SPEED_TARGETS["wall_s"],
            "peak_rss_mib": detect.peak_rss_mib < SPEED_TARGETS["peak_rss_mib"],
            "ratio_to_group_by": ratio < SPEED_TARGETS["ratio_to_group_by"],
        },
    }
