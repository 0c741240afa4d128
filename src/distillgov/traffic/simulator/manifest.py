"""The ground truth and the record of a run: the labels file and the scenario manifest.

Labels (who is which population, which campaign) live only here, never in the traffic. The
manifest says exactly how the data was made (seed, scenario and every population parameter,
tool version, prompt source) and what came out (rows per population, campaigns, file hashes),
so a detection result can always be traced back to the data it was measured on.
"""

from __future__ import annotations

import dataclasses
import json
from enum import Enum
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from distillgov.provenance import sha256_file, tool_block
from distillgov.traffic.simulator.arrowops import sort_indices
from distillgov.traffic.simulator.encoding import format_iso_utc
from distillgov.traffic.simulator.plan import Plan
from distillgov.traffic.simulator.render import ids

LABELS_SCHEMA = pa.schema(
    [
        pa.field("account_id", pa.string(), nullable=False),
        pa.field("campaign_id", pa.string()),
        pa.field("population", pa.string(), nullable=False),
        # Added later (readers of the first three columns are unaffected): the coarse class a
        # benchmark reports false positives by, and the behaviour (a campaign's style) the account ran.
        pa.field("category", pa.string(), nullable=False),
        pa.field("behavior", pa.string(), nullable=False),
    ]
)


def _campaign_mask(plan: Plan) -> np.ndarray:
    group = plan.accounts.group
    grouped = group >= 0
    campaign = np.zeros(len(group), dtype=bool)
    campaign[grouped] = plan.groups.campaign[group[grouped]]
    return campaign


def labels_table(plan: Plan) -> pa.Table:
    """One row per account, sorted by account id so file order reveals nothing either."""
    accounts = plan.accounts
    campaign = _campaign_mask(plan)
    population = accounts.population.astype(np.int64)
    labels = pa.array([p.label for p in plan.populations], pa.string())
    categories = pa.array([p.category.value for p in plan.populations], pa.string())
    behaviors = pa.array([b.name for b in plan.behaviors], pa.string())
    table = pa.table(
        {
            "account_id": ids(plan, "account_id", np.arange(len(accounts))),
            "campaign_id": ids(plan, "campaign_id", np.maximum(accounts.group, 0), campaign),
            "population": labels.take(population),
            "category": categories.take(population),
            "behavior": behaviors.take(accounts.behavior.astype(np.int64)),
        },
        schema=LABELS_SCHEMA,
    )
    return table.take(sort_indices(table, "account_id"))


def write_labels(plan: Plan, path: Path) -> None:
    pq.write_table(labels_table(plan), path, compression="zstd")


def _jsonable(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, tuple | list):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, np.integer):
        return int(value)
    return value


def _iso(micros: int) -> str:
    return str(format_iso_utc(np.array([micros], dtype=np.int64))[0])


def campaigns(plan: Plan) -> list[dict[str, Any]]:
    accounts = plan.accounts
    campaign = _campaign_mask(plan)
    out = []
    for group in np.unique(accounts.group[campaign]):
        members = accounts.group == group
        population = plan.populations[int(plan.groups.population[group])]
        out.append(
            {
                "campaign_id": str(ids(plan, "campaign_id", np.array([group]))[0]),
                "population": population.label,
                "style": plan.behaviors[int(np.bincount(accounts.behavior[members]).argmax())].name,
                "accounts": int(members.sum()),
                "rows": int(accounts.rows[members].sum()),
                "first_account_created_at": _iso(int(accounts.created_us[members].min())),
                "last_account_created_at": _iso(int(accounts.created_us[members].max())),
            }
        )
    return out


def manifest(
    plan: Plan,
    parameters: dict[str, Any],
    files: list[tuple[Path, int]],
    out: Path,
    prompt_source: dict[str, Any],
    corruptions: dict[str, Any] | None,
) -> dict[str, Any]:
    accounts = plan.accounts
    populations = []
    rows_by_label: dict[str, int] = {}
    for index, (preset, spec) in enumerate(zip(plan.preset_names, plan.populations, strict=True)):
        members = accounts.population == index
        rows = int(accounts.rows[members].sum())
        rows_by_label[spec.label] = rows_by_label.get(spec.label, 0) + rows
        groups = accounts.group[members]
        populations.append(
            {
                "preset": preset,
                "label": spec.label,
                "category": spec.category.value,
                "share": plan.scenario.shares()[preset],
                "rows": rows,
                "accounts": int(members.sum()),
                "groups": len(np.unique(groups[groups >= 0])),
                "parameters": _jsonable(spec),
            }
        )
    window = plan.window
    return {
        "tool": tool_block(),
        "seed": plan.seed,
        "scenario": plan.scenario.name,
        "scenario_description": plan.scenario.description,
        "parameters": parameters,
        "window": {
            "start": _iso(window.start_us),
            "end": _iso(window.end_us),
            "models": list(plan.model_names[:-1]),
            "model_release": None if window.release_us is None else _iso(window.release_us),
            "new_model": plan.model_names[-1] if window.release_us is not None else None,
        },
        "rows": plan.rows,
        "rows_by_population": rows_by_label,
        "accounts": len(accounts),
        "populations": populations,
        "campaigns": campaigns(plan),
        "prompt_source": prompt_source,
        "files": [
            {"path": f.relative_to(out).as_posix(), "rows": n, "sha256": sha256_file(f)} for f, n in files
        ],
        "labels": "labels.parquet",
        "corruptions": corruptions,
    }


def write_manifest(document: dict[str, Any], path: Path) -> None:
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
