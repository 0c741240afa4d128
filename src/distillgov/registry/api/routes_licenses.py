"""Compulsory licenses, their usage reports, payments, ledger and history."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from distillgov.registry import translog
from distillgov.registry.actors import Actor
from distillgov.registry.api import auth
from distillgov.registry.api.idempotency import run_write
from distillgov.registry.api.params import RecordId
from distillgov.registry.api.responses import (
    HistoryEntry,
    LedgerOut,
    LicenseOut,
    PaymentOut,
    ReportOut,
    Written,
)
from distillgov.registry.api.state import app_state
from distillgov.registry.api.views import license_out
from distillgov.registry.schemas import LicenseDecisionIn, LicenseRequestIn, PaymentIn, UsageReportIn
from distillgov.registry.service import ledger, licenses
from distillgov.registry.service.context import Context

router = APIRouter(prefix="/v1/licenses", tags=["licenses"])


@router.post(
    "",
    status_code=201,
    response_model=Written[LicenseOut],
    openapi_extra=auth.DISTILLER_WRITE.openapi(write=True),
)
def request_license(
    request: Request, body: LicenseRequestIn, actor: Actor = Depends(auth.DISTILLER_WRITE.dependency)
) -> JSONResponse:
    """Request the compulsory license a notice makes available (inside the window only)."""
    return run_write(request, actor, body, lambda ctx: license_out(licenses.request(ctx, body)))


@router.get("/{license_id}", response_model=LicenseOut, openapi_extra=auth.PUBLIC.openapi())
def get_license(
    request: Request, license_id: RecordId, actor: Actor | None = Depends(auth.PUBLIC.dependency)
) -> LicenseOut:
    with app_state(request).reading(actor) as ctx:
        return license_out(licenses.get(ctx, license_id))


@router.post(
    "/{license_id}/approve",
    status_code=200,
    response_model=Written[LicenseOut],
    openapi_extra=auth.ADMIN.openapi(write=True),
)
def approve(
    request: Request,
    license_id: RecordId,
    body: LicenseDecisionIn,
    actor: Actor = Depends(auth.ADMIN.dependency),
) -> JSONResponse:
    """Issue a requested license (an administrator of another organization than the licensee)."""
    return run_write(
        request, actor, body, lambda ctx: license_out(licenses.approve(ctx, license_id, body)), 200
    )


@router.post(
    "/{license_id}/reject",
    status_code=200,
    response_model=Written[LicenseOut],
    openapi_extra=auth.ADMIN.openapi(write=True),
)
def reject(
    request: Request,
    license_id: RecordId,
    body: LicenseDecisionIn,
    actor: Actor = Depends(auth.ADMIN.dependency),
) -> JSONResponse:
    return run_write(
        request, actor, body, lambda ctx: license_out(licenses.reject(ctx, license_id, body)), 200
    )


@router.get("/{license_id}/ledger", response_model=LedgerOut, openapi_extra=auth.PARTIES.openapi())
def get_ledger(
    request: Request, license_id: RecordId, actor: Actor = Depends(auth.PARTIES.dependency)
) -> LedgerOut:
    """Reports, assessments, payments, balance and what is overdue: for the parties and overseers only."""
    with app_state(request).reading(actor) as ctx:
        return LedgerOut.model_validate(ledger.ledger_view(ctx, licenses.get(ctx, license_id)))


def _report_out(ctx: Context, license_id: int, body: UsageReportIn) -> ReportOut:
    report = ledger.file_report(ctx, license_id, body)
    return ReportOut.model_validate(
        ledger.report_record(report)
        | {
            "levy_minor": report.levy_minor,
            "filed_on": report.filed_on,
            "due_on": ledger.due_date(report.period),
            "log_index": report.log_index,
            "salt": report.salt,
        }
    )


@router.post(
    "/{license_id}/reports",
    status_code=201,
    response_model=Written[ReportOut],
    openapi_extra=auth.DISTILLER_WRITE.openapi(write=True),
)
def file_report(
    request: Request,
    license_id: RecordId,
    body: UsageReportIn,
    actor: Actor = Depends(auth.DISTILLER_WRITE.dependency),
) -> JSONResponse:
    """A monthly usage report in the levy base; the registry assesses the levy on it."""
    return run_write(request, actor, body, lambda ctx: _report_out(ctx, license_id, body))


def _payment_out(ctx: Context, license_id: int, body: PaymentIn) -> PaymentOut:
    payment = ledger.record_payment(ctx, license_id, body)
    return PaymentOut.model_validate(
        ledger.payment_record(payment)
        | {"paid_on": payment.paid_on, "log_index": payment.log_index, "salt": payment.salt}
    )


@router.post(
    "/{license_id}/payments",
    status_code=201,
    response_model=Written[PaymentOut],
    openapi_extra=auth.PAYMENT_WRITE.openapi(write=True),
)
def pay(
    request: Request,
    license_id: RecordId,
    body: PaymentIn,
    actor: Actor = Depends(auth.PAYMENT_WRITE.dependency),
) -> JSONResponse:
    return run_write(request, actor, body, lambda ctx: _payment_out(ctx, license_id, body))


@router.get("/{license_id}/history", response_model=list[HistoryEntry], openapi_extra=auth.PUBLIC.openapi())
def history(
    request: Request, license_id: RecordId, actor: Actor | None = Depends(auth.PUBLIC.dependency)
) -> list[HistoryEntry]:
    """Every logged decision about the license (the log is public: private amounts appear as commitments)."""
    with app_state(request).reading(actor) as ctx:
        lic = licenses.get(ctx, license_id)
        return [HistoryEntry.model_validate(e) for e in translog.history(ctx.session, licenses.subject(lic))]
