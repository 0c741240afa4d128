"""The levy ledger: usage reports assessed at the license's rate, payments, balances. Double-entry.

Each license has a receivable account (what the licensee owes); an assessment debits it and credits
the levy payable to the teacher's owner, a payment credits it and debits the registry's collection
account. Every transaction's entries sum to zero, and amounts are integer minor units: the levy is
rounded half-to-even from a Decimal product, never through a float.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

import sqlalchemy as sa

from distillgov.registry import translog
from distillgov.registry.errors import ConflictError, FieldProblem, InvalidRequestError
from distillgov.registry.models import (
    LedgerEntry,
    LedgerTransaction,
    License,
    LicenseStatus,
    Payment,
    Role,
    UsageReport,
)
from distillgov.registry.procedure import DEFAULT_PROCEDURE
from distillgov.registry.schemas import PaymentIn, UsageReportIn
from distillgov.registry.service import licenses
from distillgov.registry.service.context import Context

COLLECTION_ACCOUNT = "registry:collection"
REPORTABLE = (LicenseStatus.active.value, LicenseStatus.in_default.value)
PAYABLE = (*REPORTABLE, LicenseStatus.terminated.value, LicenseStatus.expired.value)


def receivable_account(lic: License) -> str:
    return f"license:{lic.id}:receivable"


def payable_account(lic: License) -> str:
    return f"teacher:{lic.teacher_model_id}:levy_payable"


def levy_for(base_amount_minor: int, rate: str) -> int:
    return int((Decimal(base_amount_minor) * Decimal(rate)).quantize(Decimal(1), rounding=ROUND_HALF_EVEN))


def period_bounds(period: str) -> tuple[date, date]:
    year, month = map(int, period.split("-"))
    return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])


def due_date(period: str) -> date:
    return period_bounds(period)[1] + timedelta(days=DEFAULT_PROCEDURE.report_due_days)


def term_periods(lic: License) -> list[str]:
    """The months the license covers, from its start to the day before it expires."""
    if lic.start_on is None:
        return []
    last = lic.expires_on - timedelta(days=1)
    periods, year, month = [], lic.start_on.year, lic.start_on.month
    while (year, month) <= (last.year, last.month):
        periods.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return periods


def _book(
    ctx: Context, lic: License, kind: str, reference: str, debit: str, credit: str, amount: int
) -> None:
    txn = LedgerTransaction(license_id=lic.id, kind=kind, reference=reference, booked_on=ctx.today())
    ctx.session.add(txn)
    ctx.session.flush()
    ctx.session.add_all(
        [
            LedgerEntry(transaction_id=txn.id, account=debit, amount_minor=amount, currency=lic.currency),
            LedgerEntry(transaction_id=txn.id, account=credit, amount_minor=-amount, currency=lic.currency),
        ]
    )


def _check_currency(lic: License, currency: str) -> None:
    if currency != lic.currency:
        raise InvalidRequestError(
            "wrong currency", [FieldProblem("body.currency", f"license {lic.id} is kept in {lic.currency}")]
        )


def file_report(ctx: Context, license_id: int, data: UsageReportIn) -> UsageReport:
    lic = licenses.get(ctx, license_id)
    licenses.require_licensee(ctx, lic, Role.distiller)
    if lic.status not in REPORTABLE:
        raise ConflictError(f"license {lic.id} is {lic.status}; reports are filed on active licenses")
    _check_currency(lic, data.currency)
    if data.period not in term_periods(lic):
        raise InvalidRequestError(
            "period outside the license term",
            [FieldProblem("body.period", f"allowed: {', '.join(term_periods(lic))}")],
        )
    if period_bounds(data.period)[1] >= ctx.today():
        raise ConflictError(f"period {data.period} has not ended yet; report it after its last day")
    taken = ctx.session.scalar(
        sa.select(UsageReport.id).where(UsageReport.license_id == lic.id, UsageReport.period == data.period)
    )
    if taken is not None:
        raise ConflictError(f"period {data.period} of license {lic.id} was already reported (report {taken})")
    salt = translog.new_salt()
    levy = levy_for(data.base_amount_minor, lic.levy_rate)
    report = UsageReport(
        license_id=lic.id,
        period=data.period,
        base_amount_minor=data.base_amount_minor,
        levy_minor=levy,
        filed_on=ctx.today(),
        log_index=-1,
        salt=salt,
    )
    ctx.session.add(report)
    ctx.session.flush()
    _book(ctx, lic, "assessment", f"report:{report.id}", receivable_account(lic), payable_account(lic), levy)
    committed = {"license": lic.id, "report": report.id, "period": data.period}
    report.log_index = ctx.record(
        "report",
        licenses.subject(lic),
        committed | {"commitment": translog.commitment(report_record(report), salt)},
    ).index
    ctx.record(
        "assessment",
        licenses.subject(lic),
        committed
        | {"rate": lic.levy_rate, "commitment": translog.commitment(assessment_record(report), salt)},
    )
    cure_if_settled(ctx, lic)
    return report


def record_payment(ctx: Context, license_id: int, data: PaymentIn) -> Payment:
    lic = licenses.get(ctx, license_id)
    licenses.require_licensee(ctx, lic, Role.distiller, Role.administrator)
    if lic.status not in PAYABLE:
        raise ConflictError(f"license {lic.id} is {lic.status}; nothing can be paid on it")
    _check_currency(lic, data.currency)
    salt = translog.new_salt()
    payment = Payment(
        license_id=lic.id,
        amount_minor=data.amount_minor,
        paid_on=ctx.today(),
        reference=data.reference,
        log_index=-1,
        salt=salt,
    )
    ctx.session.add(payment)
    ctx.session.flush()
    _book(
        ctx,
        lic,
        "payment",
        f"payment:{payment.id}",
        COLLECTION_ACCOUNT,
        receivable_account(lic),
        data.amount_minor,
    )
    body = {
        "license": lic.id,
        "payment": payment.id,
        "commitment": translog.commitment(payment_record(payment), salt),
    }
    payment.log_index = ctx.record("payment", licenses.subject(lic), body).index
    cure_if_settled(ctx, lic)
    return payment


def report_record(report: UsageReport) -> dict[str, Any]:
    return {"id": report.id, "period": report.period, "base_amount_minor": report.base_amount_minor}


def assessment_record(report: UsageReport) -> dict[str, Any]:
    return {"id": report.id, "period": report.period, "levy_minor": report.levy_minor}


def payment_record(payment: Payment) -> dict[str, Any]:
    return {"id": payment.id, "amount_minor": payment.amount_minor, "reference": payment.reference}


def balance(ctx: Context, lic: License) -> int:
    """What the licensee owes now (negative: paid in advance)."""
    total = ctx.session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(LedgerEntry.amount_minor), 0)).where(
            LedgerEntry.account == receivable_account(lic)
        )
    )
    return int(total or 0)


@dataclass(frozen=True)
class Obligations:
    missing_reports: tuple[str, ...]
    overdue_minor: int

    @property
    def in_breach(self) -> bool:
        return bool(self.missing_reports) or self.overdue_minor > 0

    def describe(self) -> str:
        parts = []
        if self.missing_reports:
            parts.append(f"usage reports overdue for {', '.join(self.missing_reports)}")
        if self.overdue_minor > 0:
            parts.append(f"levy overdue: {self.overdue_minor} minor units")
        return "; ".join(parts)


def obligations(ctx: Context, lic: License, on: date) -> Obligations:
    """What is overdue on `on`: reports past their due date, and levy assessed for them but unpaid."""
    reports = {
        r.period: r
        for r in ctx.session.scalars(sa.select(UsageReport).where(UsageReport.license_id == lic.id))
    }
    due = [p for p in term_periods(lic) if due_date(p) < on]
    missing = tuple(p for p in due if p not in reports)
    assessed_due = sum(reports[p].levy_minor for p in due if p in reports)
    paid = ctx.session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(Payment.amount_minor), 0)).where(Payment.license_id == lic.id)
    )
    return Obligations(missing, max(0, assessed_due - int(paid or 0)))


def settled_for_term(ctx: Context, lic: License) -> bool:
    """Every period of the term reported and everything assessed paid."""
    reported = set(ctx.session.scalars(sa.select(UsageReport.period).where(UsageReport.license_id == lic.id)))
    return set(term_periods(lic)) <= reported and balance(ctx, lic) <= 0


def cure_if_settled(ctx: Context, lic: License) -> None:
    """A license in default returns to active as soon as nothing is overdue."""
    if lic.status == LicenseStatus.in_default.value and not obligations(ctx, lic, ctx.today()).in_breach:
        lic.status = LicenseStatus.active.value
        lic.default_since = lic.cure_by = lic.default_reason = None
        ctx.record("license", licenses.subject(lic), {"event": "cured", **licenses.public_view(lic)})


def ledger_view(ctx: Context, lic: License) -> dict[str, Any]:
    licenses.require_party(ctx, lic)
    reports = ctx.session.scalars(
        sa.select(UsageReport).where(UsageReport.license_id == lic.id).order_by(UsageReport.id)
    )
    payments = ctx.session.scalars(
        sa.select(Payment).where(Payment.license_id == lic.id).order_by(Payment.id)
    )
    txns = ctx.session.scalars(
        sa.select(LedgerTransaction)
        .where(LedgerTransaction.license_id == lic.id)
        .order_by(LedgerTransaction.id)
    )
    owed = obligations(ctx, lic, ctx.today())
    return {
        "license": lic.id,
        "currency": lic.currency,
        "levy_rate": lic.levy_rate,
        "balance_minor": balance(ctx, lic),
        "overdue_minor": owed.overdue_minor,
        "missing_reports": list(owed.missing_reports),
        "reports": [
            report_record(r)
            | {
                "levy_minor": r.levy_minor,
                "filed_on": r.filed_on.isoformat(),
                "due_on": due_date(r.period).isoformat(),
                "log_index": r.log_index,
                "salt": r.salt,
            }
            for r in reports
        ],
        "payments": [
            payment_record(p) | {"paid_on": p.paid_on.isoformat(), "log_index": p.log_index, "salt": p.salt}
            for p in payments
        ],
        "transactions": [
            {
                "id": t.id,
                "kind": t.kind,
                "reference": t.reference,
                "booked_on": t.booked_on.isoformat(),
                "entries": [{"account": e.account, "amount_minor": e.amount_minor} for e in t.entries],
            }
            for t in txns
        ],
    }
