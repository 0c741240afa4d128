"""Compulsory licenses: only for eligible direct commercial cloning, only inside the window.

Eligibility, the window and the levy terms are the law engine's answers and dated parameters,
resolved at the notice's date; the registry stores them on the license, flags included, so a
parameter labelled UNSOURCED stays visibly so on every license it shaped.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from distillgov.law.params import ParameterNotInForceError, levy_terms, license_window
from distillgov.registry.errors import ConflictError, ForbiddenError, NotFoundError
from distillgov.registry.models import License, LicenseStatus, Notice, ProtectedModel, Role
from distillgov.registry.procedure import DEFAULT_PROCEDURE
from distillgov.registry.schemas import LicenseDecisionIn, LicenseRequestIn
from distillgov.registry.service import notices
from distillgov.registry.service.context import Context

OPEN_STATUSES = (LicenseStatus.active.value, LicenseStatus.in_default.value)


def terms_for(ctx: Context, notice: Notice) -> tuple[date, dict[str, Any]]:
    """The window's end and the levy terms, resolved at the notice's date; refuses an ineligible notice."""
    if notice.compulsory_license != "applies":
        raise ConflictError(
            f"notice {notice.id}'s classification does not make the compulsory license available "
            f"(compulsory_license: {notice.compulsory_license!r}); it is only for eligible direct "
            "commercial cloning"
        )
    release = notice.teacher.release_date
    if release is None:
        raise ConflictError(f"the teacher {notice.teacher.name!r} has no registered release date: no window")
    parameters = ctx.classifier.parameters
    try:
        window = license_window(release, notice.filed_on, parameters)
        levy = levy_terms(notice.filed_on, parameters)
    except ParameterNotInForceError as exc:
        raise ConflictError(f"the regime's parameters are not in force on {notice.filed_on}: {exc}") from exc
    if not window.open_on(ctx.today()):
        raise ConflictError(
            f"the compulsory-licensing window for {notice.teacher.name!r} runs from {window.start} up to "
            f"{window.ends} (not inclusive); today is {ctx.today()}"
        )
    terms = {
        "window": {"start": window.start.isoformat(), "ends": window.ends.isoformat()},
        "window_months": window.months.as_dict(),
        "levy_base": levy.base.as_dict(),
        "levy_rate": levy.rate.as_dict(),
        "procedure": DEFAULT_PROCEDURE.as_dict(),
        "parameter_sources": list(parameters.sources),
    }
    return window.ends, terms


def request(ctx: Context, data: LicenseRequestIn) -> License:
    actor = ctx.require(Role.distiller)
    notice = notices.get(ctx, data.notice_id)
    if notice.distiller_org_id != actor.organization_id:
        raise ForbiddenError(f"notice {notice.id} was filed by another organization")
    existing = ctx.session.scalar(sa.select(License).where(License.notice_id == notice.id))
    if existing is not None:
        raise ConflictError(f"notice {notice.id} already has license {existing.id} ({existing.status})")
    expires_on, terms = terms_for(ctx, notice)
    lic = License(
        notice_id=notice.id,
        licensee_org_id=notice.distiller_org_id,
        teacher_model_id=notice.teacher_model_id,
        status=LicenseStatus.requested.value,
        requested_on=ctx.today(),
        expires_on=expires_on,
        currency=data.currency,
        levy_rate=str(Decimal(str(terms["levy_rate"]["value"]))),
        terms=terms,
        log_index=-1,
    )
    ctx.session.add(lic)
    ctx.session.flush()
    lic.log_index = ctx.record("license", subject(lic), {"event": "requested", **public_view(lic)}).index
    return lic


def approve(ctx: Context, license_id: int, data: LicenseDecisionIn) -> License:
    actor = ctx.require(Role.administrator)
    lic = _for_decision(ctx, license_id)
    if actor.organization_id == lic.licensee_org_id:
        raise ForbiddenError("an administrator may not approve a license for their own organization")
    terms_for(ctx, lic.notice)  # still eligible and inside the window today
    lic.status = LicenseStatus.active.value
    lic.start_on = ctx.today()
    ctx.record("license", subject(lic), {"event": "issued", "note": data.note, **public_view(lic)})
    return lic


def reject(ctx: Context, license_id: int, data: LicenseDecisionIn) -> License:
    ctx.require(Role.administrator)
    lic = _for_decision(ctx, license_id)
    lic.status = LicenseStatus.rejected.value
    lic.closed_on = ctx.today()
    ctx.record("license", subject(lic), {"event": "rejected", "note": data.note, **public_view(lic)})
    return lic


def _for_decision(ctx: Context, license_id: int) -> License:
    lic = get(ctx, license_id)
    if lic.status != LicenseStatus.requested.value:
        raise ConflictError(f"license {lic.id} is {lic.status}; only a requested license can be decided")
    return lic


def get(ctx: Context, license_id: int) -> License:
    lic = ctx.session.get(License, license_id)
    if lic is None:
        raise NotFoundError(f"license {license_id} does not exist")
    return lic


def teacher_owner_org(ctx: Context, lic: License) -> int:
    owner = ctx.session.scalar(
        sa.select(ProtectedModel.owner_org_id).where(ProtectedModel.id == lic.teacher_model_id)
    )
    assert owner is not None
    return owner


def require_party(ctx: Context, lic: License) -> None:
    """Ledger and reports: the licensee, the teacher's owner, auditors and administrators only."""
    ctx.require(Role.distiller, Role.teacher_owner, Role.auditor, Role.administrator)
    if not (ctx.is_privileged() or ctx.in_org(lic.licensee_org_id, teacher_owner_org(ctx, lic))):
        raise NotFoundError(f"license {lic.id}'s ledger is not visible to your organization")


def require_licensee(ctx: Context, lic: License, *roles: Role) -> None:
    ctx.require(*roles)
    if not (ctx.is_privileged() or ctx.in_org(lic.licensee_org_id)):
        raise ForbiddenError(f"only the licensee of license {lic.id} may do this")


def subject(lic: License) -> str:
    return f"license:{lic.id}"


def public_view(lic: License) -> dict[str, Any]:
    """A license is public (downstream diligence depends on it): parties, dates, status and terms."""
    return {
        "id": lic.id,
        "notice": lic.notice_id,
        "licensee": lic.licensee_org_id,
        "teacher": lic.teacher_model_id,
        "status": lic.status,
        "requested_on": lic.requested_on.isoformat(),
        "start_on": lic.start_on.isoformat() if lic.start_on else None,
        "expires_on": lic.expires_on.isoformat(),
        "currency": lic.currency,
        "levy_rate": lic.levy_rate,
        "levy_base": lic.terms["levy_base"]["value"],
        "unsourced_parameters": sorted(
            p["name"]
            for p in (lic.terms[k] for k in ("window_months", "levy_base", "levy_rate"))
            if p["unsourced"]
        ),
        "default_since": lic.default_since.isoformat() if lic.default_since else None,
        "cure_by": lic.cure_by.isoformat() if lic.cure_by else None,
        "default_reason": lic.default_reason,
        "closed_on": lic.closed_on.isoformat() if lic.closed_on else None,
    }
