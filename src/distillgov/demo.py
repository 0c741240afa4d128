"""`distillgov demo`: the main job end to end on embedded defaults.

Simulates a labelled week of API traffic (with a small share of injected log faults), ingests
it into the normalized store, runs campaign detection over the store, and reports each stage's
numbers next to the simulator's ground truth — so what a newcomer sees is checked, not asserted.
Labels are joined only after detection has run; detection never sees them.
"""

from __future__ import annotations

import json
import shutil
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pyarrow.parquet as pq

from distillgov.detect.findings import build_findings
from distillgov.detect.pipeline import detect
from distillgov.detect.report import write_report
from distillgov.provenance import tool_block
from distillgov.traffic.ingest import IngestOptions, IngestResult, ingest
from distillgov.traffic.simulator import SimulationConfig, SimulationResult, simulate
from distillgov.traffic.simulator.progress import Reporter
from distillgov.traffic.store import open_store

# Simulator fault name -> the quarantine reason ingest must give it.
EXPECTED_REASON = {
    "missing_account_id": "missing_required",
    "unparseable_timestamp": "unparseable_timestamp",
    "negative_tokens": "negative_count",
    "duplicate_request_id": "duplicate_request_id",
}


@dataclass(frozen=True)
class DemoConfig:
    """The embedded defaults: small enough for two cores in about a minute, large enough to be a week."""

    out: Path
    rows: int = 300_000
    days: int = 7
    seed: int = 7
    scenario: str = "default"
    corrupt_rate: float = 0.002


def _sql_path(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def _population_counts(con: duckdb.DuckDBPyConnection, scan: str, labels: Path) -> list[dict[str, Any]]:
    rows = con.execute(
        f"""SELECT l.population,
                   count(*) AS rows,
                   count(DISTINCT e.account_id) AS accounts,
                   count(DISTINCT l.campaign_id) AS campaigns,
                   sum(e.output_tokens) AS output_tokens
            FROM {scan} e JOIN read_parquet({_sql_path(labels)}) l USING (account_id)
            GROUP BY l.population ORDER BY rows DESC"""
    ).fetchall()
    keys = ("population", "rows", "accounts", "campaigns", "output_tokens")
    return [dict(zip(keys, row, strict=True)) for row in rows]


def _fault_check(
    con: duckdb.DuckDBPyConnection, corruptions: Path, quarantine: Path | None
) -> dict[str, Any]:
    """Join the injected faults to the quarantine by file and line: caught, missed, and extra."""
    injected = con.execute(
        f"SELECT reason, count(*) FROM read_parquet({_sql_path(corruptions)}) GROUP BY 1 ORDER BY 1"
    ).fetchall()
    if quarantine is None:
        return {"injected": dict(injected), "caught": 0, "missed": sum(n for _, n in injected), "other": 0}
    expected = " ".join(f"WHEN '{fault}' THEN '{reason}'" for fault, reason in EXPECTED_REASON.items())
    caught, missed, other = con.execute(
        f"""WITH c AS (SELECT file, record + 1 AS line, CASE reason {expected} END AS reason
                       FROM read_parquet({_sql_path(corruptions)})),
                 q AS (SELECT regexp_extract(source_file, '[^/]+$') AS file, source_row AS line, reason
                       FROM read_parquet({_sql_path(quarantine)}))
            SELECT (SELECT count(*) FROM c JOIN q USING (file, line, reason)),
                   (SELECT count(*) FROM c ANTI JOIN q USING (file, line, reason)),
                   (SELECT count(*) FROM q ANTI JOIN c USING (file, line, reason))"""
    ).fetchone() or (0, 0, 0)
    return {"injected": dict(injected), "caught": caught, "missed": missed, "other": other}


def _detection(store: Path, labels: Path, out: Path) -> dict[str, Any]:
    """Detect on the store, write findings and the HTML report, then score them against the labels."""
    analysis, inputs = detect([store])
    findings = build_findings(analysis, [i.as_dict() for i in inputs], {"engine": "duckdb"})
    findings_path, report_path = out / "findings.json", out / "findings.html"
    findings_path.write_text(json.dumps(findings, indent=2, default=str) + "\n")
    write_report(analysis, findings, report_path)
    truth = {row["account_id"]: row for row in pq.read_table(labels).to_pylist()}
    per_population: dict[str, dict[str, int]] = {}
    flagged_campaign_of: dict[str, str | None] = {}
    for account in findings["accounts"]:
        label = truth[account["account_id"]]
        counts = per_population.setdefault(label["population"], {"accounts": 0, "flagged": 0})
        counts["accounts"] += 1
        counts["flagged"] += int(account["flagged"])
        if account["flagged"]:
            flagged_campaign_of[account["account_id"]] = account["campaign_id"]
    members: dict[str, list[str]] = {}
    for account_id, label in truth.items():
        if label["campaign_id"] is not None:
            members.setdefault(label["campaign_id"], []).append(account_id)
    found = sum(
        max(Counter(flagged_campaign_of[a] for a in accounts if a in flagged_campaign_of).values(), default=0)
        > len(accounts) / 2
        for accounts in members.values()
    )
    return {
        "findings": str(findings_path),
        "report": str(report_path),
        "flagged_accounts": findings["summary"]["flagged"],
        "campaigns_reported": findings["summary"]["campaigns"],
        "true_campaigns": len(members),
        "true_campaigns_found": found,
        "by_population": dict(sorted(per_population.items())),
    }


def summarize(simulation: SimulationResult, ingested: IngestResult) -> dict[str, Any]:
    """What the store holds, per population, beside the simulator's own counts."""
    store = open_store(ingested.store)
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    scan = store.scan_sql()
    rows, accounts, days = con.execute(
        f"SELECT count(*), count(DISTINCT account_id), count(DISTINCT date) FROM {scan}"
    ).fetchone() or (0, 0, 0)
    summary: dict[str, Any] = {
        "tool": tool_block(),
        "inputs": [{"path": f.path, "sha256": f.sha256, "rows": f.rows_read} for f in ingested.files],
        "simulated_rows": simulation.rows,
        "rows_read": ingested.rows_read,
        "rows_stored": rows,
        "rows_rejected": ingested.rows_rejected,
        "rejected_by_reason": dict(sorted(ingested.by_reason.items())),
        "accounts": accounts,
        "days": days,
        "populations": _population_counts(con, scan, simulation.labels),
        "store": str(ingested.store),
        "manifest": str(ingested.manifest),
    }
    if simulation.corruptions is not None:
        summary["injected_faults"] = _fault_check(con, simulation.corruptions, ingested.quarantine)
    return summary


def run_demo(config: DemoConfig, reporter: Reporter | None = None, progress: Any = None) -> dict[str, Any]:
    """Simulate, ingest, summarise; writes `summary.json` under `config.out` and returns it."""
    if config.out.exists():
        shutil.rmtree(config.out)
    simulation = simulate(
        SimulationConfig(
            out=config.out / "traffic",
            rows=config.rows,
            days=config.days,
            seed=config.seed,
            scenario=config.scenario,
            format="jsonl.gz",
            corrupt_rate=config.corrupt_rate,
        ),
        reporter,
    )
    ingested = ingest(
        [str(path) for path in simulation.files], IngestOptions(store=config.out / "store"), progress
    )
    summary = summarize(simulation, ingested)
    summary["detection"] = _detection(ingested.store, simulation.labels, config.out)
    summary["parameters"] = {
        "rows": config.rows,
        "days": config.days,
        "seed": config.seed,
        "scenario": config.scenario,
        "corrupt_rate": config.corrupt_rate,
    }
    (config.out / "summary.json").write_text(json.dumps(summary, indent=2, default=str) + "\n")
    return summary
