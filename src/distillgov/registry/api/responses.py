"""Response bodies, so the OpenAPI document describes every answer the API gives.

Nested legal reasoning (justification trees, parameters) is passed through as the law engine's
JSON contract (docs/law.md) rather than re-declared here.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict

T = TypeVar("T")


class Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LogRef(Out):
    index: int
    kind: str
    subject: str


class Written(Out, Generic[T]):
    """A write's result and the log entries that record it (verify them offline with `registry verify`)."""

    result: T
    log_entries: list[LogRef]


class Health(Out):
    status: str
    database: str
    schema_revision: str | None
    log_size: int


class Me(Out):
    user_id: int
    organization_id: int
    role: str


class OrganizationOut(Out):
    id: int
    name: str
    created_at: datetime
    log_index: int


class UserOut(Out):
    id: int
    organization_id: int
    name: str
    role: str
    created_at: datetime
    log_index: int


class TokenOut(Out):
    id: int
    user_id: int
    label: str
    created_at: datetime
    revoked_at: datetime | None
    token: str | None = None
    """The secret, shown only in the response that issues it."""


class Party(Out):
    id: int
    name: str


class WeightsFileOut(Out):
    path: str
    sha256: str


class ModelOut(Out):
    id: int
    name: str
    owner: Party
    access_mode: str
    release_date: date | None
    api_model_id: str | None
    weights_digest: str | None
    weights_files: list[WeightsFileOut]
    model_signing_digest: str | None
    registered_at: str
    log_index: int


class TradeSecretOut(Out):
    model_id: int
    salt: str
    records: dict[str, Any]


class StudentOut(Out):
    name: str
    weights_digest: str | None


class NoticeDetails(Out):
    expected_volume: int
    facts: dict[str, Any]
    facts_sha256: str
    uncertainties: list[dict[str, Any]]
    assumptions: list[Any]
    levy: dict[str, Any]
    immunity_conditions: dict[str, Any]
    justification: list[dict[str, Any]]
    rulebooks: list[dict[str, Any]]
    parameters: dict[str, Any]


class NoticeOut(Out):
    id: int
    teacher: Party
    distiller: Party
    student: StudentOut
    purpose: str
    commercial: bool
    filed_on: date
    classification: str | None
    safe_harbors: list[str]
    safe_harbors_uncertain: list[str]
    immunity: str | None
    compulsory_license: dict[str, Any]
    log_index: int
    details: NoticeDetails | None
    """Facts, uncertain points and the justification: for the filer, the teacher's owner and overseers."""


class LicenseOut(Out):
    id: int
    notice: int
    licensee: int
    teacher: int
    status: str
    requested_on: date
    start_on: date | None
    expires_on: date
    currency: str
    levy_rate: str
    levy_base: str
    unsourced_parameters: list[str]
    default_since: date | None
    cure_by: date | None
    default_reason: str | None
    closed_on: date | None
    terms: dict[str, Any]
    log_index: int


class ReportOut(Out):
    id: int
    period: str
    base_amount_minor: int
    levy_minor: int
    filed_on: date
    due_on: date
    log_index: int
    salt: str


class PaymentOut(Out):
    id: int
    amount_minor: int
    reference: str
    paid_on: date
    log_index: int
    salt: str


class LedgerLine(Out):
    account: str
    amount_minor: int


class LedgerTransactionOut(Out):
    id: int
    kind: str
    reference: str
    booked_on: date
    entries: list[LedgerLine]


class LedgerOut(Out):
    license: int
    currency: str
    levy_rate: str
    balance_minor: int
    overdue_minor: int
    missing_reports: list[str]
    reports: list[ReportOut]
    payments: list[PaymentOut]
    transactions: list[LedgerTransactionOut]


class ConditionOut(Out):
    kind: str
    due_on: date
    status: str
    met_on: date | None
    evidence: dict[str, Any] | None


class ClaimOut(Out):
    id: int
    notice: int
    harbor: str
    status: str
    filed_on: date
    lapsed_on: date | None
    conditions: list[ConditionOut]
    lapse: dict[str, Any] | None


class SweepOut(Out):
    on: date
    default: list[int]
    cured: list[int]
    terminated: list[int]
    expired: list[int]
    lapsed: list[int]


class LineageOut(Out):
    notice: NoticeOut
    notice_log_index: int
    license: dict[str, Any] | None
    safe_harbor_claims: list[ClaimOut]


class HistoryEntry(Out):
    log_index: int
    v: int
    kind: str
    subject: str
    at: str
    body: dict[str, Any]


class LogEntryOut(Out):
    index: int
    kind: str
    subject: str
    recorded_at: datetime
    entry: str
    """The entry's bytes (RFC 8785 JSON) as text; its leaf hash is SHA-256(0x00 || bytes)."""
