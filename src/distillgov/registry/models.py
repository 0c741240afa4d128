"""The registry's tables (SQLAlchemy 2). The Alembic migrations in `migrations/` create them.

Money is an integer number of minor units of the license's currency (never a float). The log's
tables (`log_entries`, `log_hashes`) sit beside the decisions they record and are written in the
same transaction; a row's `log_index` points at the entry that recorded its creation, and an
object's later history is the log entries whose `subject` names it.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any, ClassVar

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

JSONType = sa.JSON().with_variant(JSONB(), "postgresql")


class UTCDateTime(sa.TypeDecorator[datetime]):
    """Timestamps stored and returned in UTC on every backend (SQLite keeps no time zone)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: the registry stores only time-zone-aware UTC timestamps")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Role(StrEnum):
    teacher_owner = "teacher_owner"
    distiller = "distiller"
    auditor = "auditor"
    administrator = "administrator"


class AccessMode(StrEnum):
    """The law engine's `teacher.access` values."""

    api = "api"
    open_weights = "open_weights"
    internal = "internal"


class LicenseStatus(StrEnum):
    requested = "requested"
    active = "active"
    in_default = "in_default"
    terminated = "terminated"
    expired = "expired"
    rejected = "rejected"


class ClaimStatus(StrEnum):
    active = "active"
    lapsed = "lapsed"


class ConditionKind(StrEnum):
    """The proposed regime's conditions on every immunity (the law engine's CONDITIONS)."""

    transparency = "transparency"
    privacy = "privacy"
    safety = "safety"


class ConditionStatus(StrEnum):
    pending = "pending"
    met = "met"
    lapsed = "lapsed"


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime(),
        dict[str, Any]: JSONType,
        list[Any]: JSONType,
    }


class Organization(Base):
    __tablename__ = "organizations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200), unique=True)
    created_at: Mapped[datetime]
    log_index: Mapped[int] = mapped_column(sa.BigInteger)


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(200), unique=True)
    role: Mapped[str] = mapped_column(sa.String(32))
    created_at: Mapped[datetime]
    log_index: Mapped[int] = mapped_column(sa.BigInteger)

    organization: Mapped[Organization] = relationship(lazy="joined")


class ApiToken(Base):
    """Only the token's sha256 is kept: a leaked database does not leak working credentials."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    token_sha256: Mapped[str] = mapped_column(sa.String(64), unique=True)
    label: Mapped[str] = mapped_column(sa.String(200))
    created_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]

    user: Mapped[User] = relationship(lazy="joined")


class ProtectedModel(Base):
    __tablename__ = "protected_models"

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_org_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(200), unique=True)
    api_model_id: Mapped[str | None] = mapped_column(sa.String(200), index=True)
    access_mode: Mapped[str] = mapped_column(sa.String(32))
    release_date: Mapped[date | None]
    weights_digest: Mapped[str | None] = mapped_column(sa.String(80), index=True)
    weights_files: Mapped[list[Any]]
    model_signing_digest: Mapped[str | None] = mapped_column(sa.String(80), index=True)
    trade_secret: Mapped[dict[str, Any]]
    registered_at: Mapped[datetime]
    log_index: Mapped[int] = mapped_column(sa.BigInteger)

    owner: Mapped[Organization] = relationship(lazy="joined")


class Notice(Base):
    __tablename__ = "notices"

    id: Mapped[int] = mapped_column(primary_key=True)
    distiller_org_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id"), index=True)
    filed_by_user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    teacher_model_id: Mapped[int] = mapped_column(sa.ForeignKey("protected_models.id"), index=True)
    purpose: Mapped[str] = mapped_column(sa.String(64))
    commercial: Mapped[bool]
    expected_volume: Mapped[int] = mapped_column(sa.BigInteger)
    student_name: Mapped[str] = mapped_column(sa.String(200), index=True)
    student_digest: Mapped[str | None] = mapped_column(sa.String(80), index=True)
    filed_on: Mapped[date]
    filed_at: Mapped[datetime]
    facts: Mapped[dict[str, Any]]
    facts_sha256: Mapped[str] = mapped_column(sa.String(64))
    classification: Mapped[str | None] = mapped_column(sa.String(32))
    compulsory_license: Mapped[str | None] = mapped_column(sa.String(32))
    assessment: Mapped[dict[str, Any]]
    rulebooks: Mapped[list[Any]]
    parameters: Mapped[dict[str, Any]]
    log_index: Mapped[int] = mapped_column(sa.BigInteger)

    distiller: Mapped[Organization] = relationship(lazy="joined")
    teacher: Mapped[ProtectedModel] = relationship(lazy="joined")


class License(Base):
    __tablename__ = "licenses"

    id: Mapped[int] = mapped_column(primary_key=True)
    notice_id: Mapped[int] = mapped_column(sa.ForeignKey("notices.id"), unique=True)
    licensee_org_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id"), index=True)
    teacher_model_id: Mapped[int] = mapped_column(sa.ForeignKey("protected_models.id"), index=True)
    status: Mapped[str] = mapped_column(sa.String(32))
    requested_on: Mapped[date]
    start_on: Mapped[date | None]
    expires_on: Mapped[date]
    currency: Mapped[str] = mapped_column(sa.String(3))
    levy_rate: Mapped[str] = mapped_column(sa.String(32))
    terms: Mapped[dict[str, Any]]
    default_since: Mapped[date | None]
    cure_by: Mapped[date | None]
    default_reason: Mapped[str | None] = mapped_column(sa.String(500))
    closed_on: Mapped[date | None]
    log_index: Mapped[int] = mapped_column(sa.BigInteger)

    notice: Mapped[Notice] = relationship(lazy="joined")


class UsageReport(Base):
    __tablename__ = "usage_reports"
    __table_args__ = (sa.UniqueConstraint("license_id", "period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    license_id: Mapped[int] = mapped_column(sa.ForeignKey("licenses.id"), index=True)
    period: Mapped[str] = mapped_column(sa.String(7))
    base_amount_minor: Mapped[int] = mapped_column(sa.BigInteger)
    levy_minor: Mapped[int] = mapped_column(sa.BigInteger)
    filed_on: Mapped[date]
    salt: Mapped[str] = mapped_column(sa.String(32))
    log_index: Mapped[int] = mapped_column(sa.BigInteger)


class Payment(Base):
    __tablename__ = "payments"

    id: Mapped[int] = mapped_column(primary_key=True)
    license_id: Mapped[int] = mapped_column(sa.ForeignKey("licenses.id"), index=True)
    amount_minor: Mapped[int] = mapped_column(sa.BigInteger)
    paid_on: Mapped[date]
    reference: Mapped[str] = mapped_column(sa.String(200))
    salt: Mapped[str] = mapped_column(sa.String(32))
    log_index: Mapped[int] = mapped_column(sa.BigInteger)


class LedgerTransaction(Base):
    """One balanced double-entry transaction: its entries sum to zero."""

    __tablename__ = "ledger_transactions"

    id: Mapped[int] = mapped_column(primary_key=True)
    license_id: Mapped[int] = mapped_column(sa.ForeignKey("licenses.id"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(32))
    reference: Mapped[str] = mapped_column(sa.String(64))
    booked_on: Mapped[date]

    entries: Mapped[list[LedgerEntry]] = relationship(lazy="selectin", order_by="LedgerEntry.id")


class LedgerEntry(Base):
    """A debit (positive) or credit (negative) to one account, in minor units."""

    __tablename__ = "ledger_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    transaction_id: Mapped[int] = mapped_column(sa.ForeignKey("ledger_transactions.id"), index=True)
    account: Mapped[str] = mapped_column(sa.String(64), index=True)
    amount_minor: Mapped[int] = mapped_column(sa.BigInteger)
    currency: Mapped[str] = mapped_column(sa.String(3))


class SafeHarborClaim(Base):
    __tablename__ = "safe_harbor_claims"
    __table_args__ = (sa.UniqueConstraint("notice_id", "harbor"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    notice_id: Mapped[int] = mapped_column(sa.ForeignKey("notices.id"), index=True)
    harbor: Mapped[str] = mapped_column(sa.String(64))
    status: Mapped[str] = mapped_column(sa.String(32))
    filed_on: Mapped[date]
    lapsed_on: Mapped[date | None]
    lapse_assessment: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    log_index: Mapped[int] = mapped_column(sa.BigInteger)

    notice: Mapped[Notice] = relationship(lazy="joined")
    conditions: Mapped[list[HarborCondition]] = relationship(lazy="selectin", order_by="HarborCondition.id")


class HarborCondition(Base):
    __tablename__ = "harbor_conditions"
    __table_args__ = (sa.UniqueConstraint("claim_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    claim_id: Mapped[int] = mapped_column(sa.ForeignKey("safe_harbor_claims.id"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(32))
    due_on: Mapped[date]
    status: Mapped[str] = mapped_column(sa.String(32))
    met_on: Mapped[date | None]
    evidence: Mapped[dict[str, Any] | None] = mapped_column(JSONType)


class IdempotencyRecord(Base):
    """The response to a write, kept under the caller's Idempotency-Key so a retry replays it."""

    __tablename__ = "idempotency_keys"

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(255), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(sa.String(64))
    status_code: Mapped[int]
    response: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]


class LogEntry(Base):
    """Entry `idx` of the transparency log: the decision as RFC 8785 canonical JSON."""

    __tablename__ = "log_entries"

    idx: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True, autoincrement=False)
    kind: Mapped[str] = mapped_column(sa.String(32))
    subject: Mapped[str] = mapped_column(sa.String(64), index=True)
    recorded_at: Mapped[datetime]
    data: Mapped[bytes] = mapped_column(sa.LargeBinary)


class LogHash(Base):
    """Go-tlog stored hash number `idx` (every complete subtree's hash, in append order)."""

    __tablename__ = "log_hashes"

    idx: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True, autoincrement=False)
    hash: Mapped[bytes] = mapped_column(sa.LargeBinary(32))
