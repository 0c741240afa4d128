"""Safe-harbor claims and their conditions: the immunity lasts only while every condition is met.

The proposed regime conditions all immunities on transparency, privacy and safety. A claim lists
the three conditions with due dates; the claimant meets each with evidence (a published disclosure
and its sha256, or an attestation); a condition still pending after its due date lapses the claim,
and the law engine is asked again, with that obligation unmet, so the lapse shows its legal effect.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from distillgov.registry.errors import ConflictError, ForbiddenError, NotFoundError
from distillgov.registry.models import (
    ClaimStatus,
    ConditionKind,
    ConditionStatus,
    HarborCondition,
    Role,
    SafeHarborClaim,
)
from distillgov.registry.procedure import DEFAULT_PROCEDURE
from distillgov.registry.schemas import ClaimIn, ConditionIn
from distillgov.registry.service import notices
from distillgov.registry.service.context import Context

UNMET_FACT: dict[str, tuple[str, Any]] = {
    ConditionKind.transparency.value: ("transparency_disclosure", "not_filed"),
    ConditionKind.privacy.value: ("privacy_safeguards", False),
    ConditionKind.safety.value: ("safety_evaluation", False),
}
"""The obligations.* fact that a lapsed condition makes false, in the law engine's vocabulary."""


def claim(ctx: Context, data: ClaimIn) -> SafeHarborClaim:
    actor = ctx.require(Role.distiller)
    notice = notices.get(ctx, data.notice_id)
    if notice.distiller_org_id != actor.organization_id:
        raise ForbiddenError(f"notice {notice.id} was filed by another organization")
    recognised = notice.assessment["safe_harbors"] + notice.assessment["safe_harbors_uncertain"]
    if data.harbor.value not in recognised:
        raise ConflictError(
            f"notice {notice.id}'s classification does not recognise the {data.harbor.value} harbor "
            f"(applies or uncertain: {', '.join(recognised) or 'none'})"
        )
    if ctx.session.scalar(
        sa.select(SafeHarborClaim.id).where(
            SafeHarborClaim.notice_id == notice.id, SafeHarborClaim.harbor == data.harbor.value
        )
    ):
        raise ConflictError(f"notice {notice.id} already has a {data.harbor.value} claim")
    found = SafeHarborClaim(
        notice_id=notice.id,
        harbor=data.harbor.value,
        status=ClaimStatus.active.value,
        filed_on=ctx.today(),
        log_index=-1,
    )
    ctx.session.add(found)
    ctx.session.flush()
    due = ctx.today() + timedelta(days=DEFAULT_PROCEDURE.disclosure_days)
    ctx.session.add_all(
        HarborCondition(claim_id=found.id, kind=kind.value, due_on=due, status=ConditionStatus.pending.value)
        for kind in ConditionKind
    )
    ctx.session.flush()
    ctx.session.refresh(found)
    found.log_index = ctx.record("claim", subject(found), public_view(found)).index
    return found


def meet_condition(ctx: Context, claim_id: int, kind: ConditionKind, data: ConditionIn) -> SafeHarborClaim:
    found = get(ctx, claim_id)
    actor = ctx.require(Role.distiller)
    if found.notice.distiller_org_id != actor.organization_id:
        raise ForbiddenError(f"claim {found.id} belongs to another organization")
    if found.status != ClaimStatus.active.value:
        raise ConflictError(f"claim {found.id} has {found.status}; a lapsed immunity is not revived")
    condition = next(c for c in found.conditions if c.kind == kind.value)
    if condition.status != ConditionStatus.pending.value:
        raise ConflictError(f"the {kind.value} condition of claim {found.id} is already {condition.status}")
    if ctx.today() > condition.due_on:
        raise ConflictError(
            f"the {kind.value} condition was due on {condition.due_on}; it can no longer be met"
        )
    condition.status = ConditionStatus.met.value
    condition.met_on = ctx.today()
    condition.evidence = data.model_dump(exclude_none=True)
    ctx.record(
        "condition",
        subject(found),
        {"claim": found.id, "condition": kind.value, "evidence": condition.evidence},
    )
    return found


def lapse_overdue(ctx: Context) -> list[SafeHarborClaim]:
    """Lapse every active claim with a condition still pending after its due date."""
    overdue = ctx.session.scalars(
        sa.select(SafeHarborClaim)
        .join(HarborCondition)
        .where(
            SafeHarborClaim.status == ClaimStatus.active.value,
            HarborCondition.status == ConditionStatus.pending.value,
            HarborCondition.due_on < ctx.today(),
        )
        .order_by(SafeHarborClaim.id)
        .distinct()
    )
    lapsed = []
    for found in list(overdue):
        missed = [
            c
            for c in found.conditions
            if c.status == ConditionStatus.pending.value and c.due_on < ctx.today()
        ]
        for condition in missed:
            condition.status = ConditionStatus.lapsed.value
        found.status = ClaimStatus.lapsed.value
        found.lapsed_on = ctx.today()
        found.lapse_assessment = _reassess(ctx, found, [c.kind for c in missed])
        ctx.record(
            "lapse",
            subject(found),
            {
                "claim": found.id,
                "harbor": found.harbor,
                "missed": [c.kind for c in missed],
                **found.lapse_assessment,
            },
        )
        lapsed.append(found)
    return lapsed


def _reassess(ctx: Context, found: SafeHarborClaim, missed: list[str]) -> dict[str, Any]:
    """The law engine's answer with the missed obligations unmet, as of today."""
    facts = {
        key: dict(value) if isinstance(value, dict) else value for key, value in found.notice.facts.items()
    }
    obligations = dict(facts.get("obligations", {}))
    for kind in missed:
        field, value = UNMET_FACT[kind]
        obligations[field] = value
    facts["obligations"] = obligations
    facts["as_of"] = ctx.today().isoformat()
    result = ctx.classifier.classify(facts, ctx.today())
    return {
        "immunity_before": found.notice.assessment["immunity"]["granted"],
        "immunity_after": result.immunity,
        "unmet_conditions": result.assessment["immunity"]["unmet_conditions"],
        "facts_sha256": result.facts_sha256,
        "assessment_sha256": result.assessment_sha256,
    }


def get(ctx: Context, claim_id: int) -> SafeHarborClaim:
    found = ctx.session.get(SafeHarborClaim, claim_id)
    if found is None:
        raise NotFoundError(f"safe-harbor claim {claim_id} does not exist")
    return found


def subject(found: SafeHarborClaim) -> str:
    return f"claim:{found.id}"


def public_view(found: SafeHarborClaim) -> dict[str, Any]:
    """Claims are public: the regime's immunities depend on transparency."""
    return {
        "id": found.id,
        "notice": found.notice_id,
        "harbor": found.harbor,
        "status": found.status,
        "filed_on": found.filed_on.isoformat(),
        "lapsed_on": found.lapsed_on.isoformat() if found.lapsed_on else None,
        "conditions": [
            {
                "kind": c.kind,
                "due_on": c.due_on.isoformat(),
                "status": c.status,
                "met_on": c.met_on.isoformat() if c.met_on else None,
                "evidence": c.evidence,
            }
            for c in found.conditions
        ],
        "lapse": found.lapse_assessment,
    }
