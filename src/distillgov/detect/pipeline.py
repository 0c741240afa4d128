"""The detection run end to end: partials → features → baselines → linkage → scores → findings.

`detect(paths)` is the library entry point the CLI, the benchmarks and the tests call. The
engine-dependent part ends with `partials.compute`; `analyse(partials, ...)` is shared by
full, incremental and Spark runs.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from distillgov.detect import partials as partials_mod
from distillgov.detect import state as state_mod
from distillgov.detect.baselines import Baseline, compute_baselines, reference_masks
from distillgov.detect.campaign_evidence import CampaignEvidence, campaign_evidence
from distillgov.detect.engines import (
    OPTIONAL_COLUMNS,
    Engine,
    InputError,
    InputFile,
    Source,
    describe_inputs,
    parquet_files,
)
from distillgov.detect.features import LINK_KINDS
from distillgov.detect.linkage import Linkage, link_communities, template_links, template_repetition
from distillgov.detect.parameters import DetectParameters
from distillgov.detect.partials import Partials
from distillgov.detect.reduce import account_features
from distillgov.detect.scoring import Scores, decide, evidence
from distillgov.detect.signals import SIGNALS, Family, Reference, computable

Progress = Callable[[str], None]
STEPS = 8  # progress steps of one run: reading, six aggregates, scoring


@dataclass
class Analysis:
    """Everything a finding, report or benchmark needs, aligned by account index."""

    features: dict[str, np.ndarray]
    baselines: dict[str, Baseline]
    not_computed: dict[str, str]
    linkage: Linkage
    scores: Scores
    partials: Partials
    params: DetectParameters
    absent: set[str]
    campaign: CampaignEvidence | None = None  # shared-identity units and what each account inherited

    def index_of(self) -> dict[str, int]:
        return {a: i for i, a in enumerate(self.features["account_id"].tolist())}


def effective_absent(absent: set[str], presence: dict[str, int]) -> set[str]:
    """Columns missing from the input or present without a single value."""
    return set(absent) | {c for c in OPTIONAL_COLUMNS if presence.get(c, 0) == 0}


def analyse(partials: Partials, absent: set[str], params: DetectParameters) -> Analysis:
    """Score every account from merged partial aggregates."""
    absent = effective_absent(absent, partials.presence)
    features = account_features(partials)
    features["template_repetition"] = np.full(len(features["account_id"]), np.nan)  # candidates' below
    not_computed = {s.name: why for s in SIGNALS if (why := computable(s, absent)) is not None}
    baselines = compute_baselines(features, params.baseline_percentile, params.min_requests)
    strengths, families, discount, assessed = evidence(features, baselines, not_computed, params)
    accounts = features["account_id"]
    absent_kinds = {k for k in LINK_KINDS if _link_column(k) in absent}
    joint = campaign_evidence(
        features, partials.links, discount, assessed, baselines, params.baseline_percentile,
        params.saturation, absent_kinds,
    )  # fmt: skip
    candidates = set(accounts[(families[Family.SHAPE] * discount > 0) | (joint.inherited > 0)].tolist())
    # Template families among candidates only: MinHash over every account's sample would dominate
    # the run, and a family without a candidate cannot change a finding.
    sample = partials.sample.filter(
        pc.is_in(partials.sample.column("account_id"), value_set=pa.array(sorted(candidates), pa.string()))
    )
    links = pa.concat_tables([partials.links, template_links(sample)])
    linkage = link_communities(links, candidates, params.max_link_group, absent_kinds)
    community = np.asarray([linkage.community_of.get(a, -1) for a in accounts.tolist()], dtype=np.int64)
    if "template_repetition" not in not_computed:
        repetition = template_repetition(sample)
        features["template_repetition"] = np.asarray([repetition.get(a, np.nan) for a in accounts.tolist()])
        baselines = compute_baselines(features, params.baseline_percentile, params.min_requests)
        strengths, families, discount, assessed = evidence(features, baselines, not_computed, params)
    human = reference_masks(features, params.min_requests)[Reference.HUMAN]
    scores = decide(
        strengths, families, discount, assessed, community, joint.inherited, human, params,
        joint.unit_identity, joint.unit_pooled,
    )  # fmt: skip
    return Analysis(features, baselines, not_computed, linkage, scores, partials, params, absent, joint)


def _link_column(kind: str) -> str:
    return {"subnet": "client_ip", "created_hour": "account_created_at"}.get(kind, kind)


def _read(
    engine: Engine, paths: Sequence[Path], params: DetectParameters, report: Progress, *, keep_prompts: bool
) -> tuple[Source, Partials]:
    """The one way both entry points turn input files into per-account partial aggregates."""
    report("reading inputs")
    source = engine.read(paths)
    return source, partials_mod.compute(
        engine, source, params.sample_per_account, report, keep_prompts=keep_prompts
    )


def detect(
    paths: Sequence[Path],
    params: DetectParameters | None = None,
    *,
    engine: Engine | None = None,
    progress: Progress | None = None,
) -> tuple[Analysis, list[InputFile]]:
    """Read the inputs on an engine and analyse them."""
    params = params or DetectParameters()
    engine = engine or Engine()
    report = progress or (lambda _msg: None)
    source, partials = _read(engine, paths, params, report, keep_prompts=False)
    report("scoring accounts and linking campaigns")
    return analyse(partials, source.absent, params), source.inputs


def detect_incremental(
    paths: Sequence[Path],
    state_dir: Path,
    params: DetectParameters | None = None,
    *,
    engine: Engine | None = None,
    progress: Progress | None = None,
) -> tuple[Analysis, list[InputFile]]:
    """Absorb the inputs the state has not seen, then score everything absorbed so far."""
    params = params or DetectParameters()
    engine = engine or Engine()
    report = progress or (lambda _msg: None)
    stored = state_mod.load(state_dir, {"sample_per_account": params.sample_per_account})
    files = [p for p in parquet_files(paths)]
    new_inputs = [i for i in describe_inputs(files) if i.sha256 not in stored.seen()]
    if new_inputs:
        source, fresh = _read(engine, [Path(i.path) for i in new_inputs], params, report, keep_prompts=True)
        if stored.partials is None:
            stored.partials, stored.absent = fresh, set(source.absent)
        else:
            stored.partials = partials_mod.merge(stored.partials, fresh, params.sample_per_account)
            stored.absent &= source.absent
        stored.inputs.extend(new_inputs)
        state_mod.save(state_dir, stored)
    if stored.partials is None:
        raise InputError(f"no exchanges absorbed into {state_dir} yet")
    report("scoring accounts and linking campaigns")
    return analyse(stored.partials, stored.absent, params), stored.inputs
