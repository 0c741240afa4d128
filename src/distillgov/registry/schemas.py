"""Request bodies: one Pydantic definition per write, shared by the API (and its OpenAPI document) and
the library. Unknown fields are refused and every string, list and number is bounded, so a request
is either accepted whole or refused with a message per field.
"""

from __future__ import annotations

import json
from datetime import date
from enum import StrEnum
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from distillgov.law.clauses import clauses
from distillgov.registry.models import AccessMode, ConditionKind, Role

MAX_FACTS_JSON = 16_384
MAX_FACTS_DEPTH = 4

Name = Annotated[str, Field(min_length=1, max_length=200, pattern=r"^[^\x00-\x1f\x7f]+$")]
Text = Annotated[str, Field(min_length=1, max_length=2000)]
Sha256Hex = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$", description="lower-case hex sha256")]
Digest = Annotated[
    str, Field(pattern=r"^sha256:[0-9a-f]{64}$", description="`sha256:` and 64 lower-case hex digits")
]
Currency = Annotated[str, Field(pattern=r"^[A-Z]{3}$", description="ISO 4217 code, e.g. USD")]
MinorUnits = Annotated[int, Field(ge=0, le=10**15, description="integer minor units (cents), never a float")]
Url = Annotated[str, Field(min_length=8, max_length=500, pattern=r"^https?://[^\s]+$")]
IdemKey = Annotated[str, Field(min_length=1, max_length=255)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Purpose(StrEnum):
    """The law vocabulary's `conduct.purpose` (a test keeps the two equal)."""

    commercial = "commercial"
    non_commercial_research = "non_commercial_research"
    accountability_audit = "accountability_audit"
    transformative = "transformative"
    internal = "internal"


class SecrecyMeasure(StrEnum):
    """The law vocabulary's `teacher.secrecy_measures` (a test keeps the two equal)."""

    access_controls = "access_controls"
    weights_not_released = "weights_not_released"
    encryption = "encryption"
    rate_limits = "rate_limits"
    monitoring = "monitoring"
    nda = "nda"
    confidentiality_agreements = "confidentiality_agreements"
    employee_agreements = "employee_agreements"
    need_to_know = "need_to_know"
    tos_restrictions = "tos_restrictions"


class Harbor(StrEnum):
    """The proposed regime's safe harbors (the law engine's `HARBORS`; a test keeps them equal)."""

    reverse_engineering = "reverse_engineering"
    non_commercial_research = "non_commercial_research"
    accountability_audit = "accountability_audit"
    transformative_fair_use = "transformative_fair_use"


def _known_clause(value: str | None) -> str | None:
    if value is not None and value not in clauses():
        raise ValueError(f"unknown clause; allowed: {', '.join(sorted(clauses()))}")
    return value


class WeightsFile(Strict):
    path: Annotated[str, Field(min_length=1, max_length=500)]
    sha256: Sha256Hex


class TermsClause(Strict):
    title: Name
    effective_date: date
    clause_id: Annotated[str | None, AfterValidator(_known_clause)] = Field(
        None, description="an id from the law engine's terms-of-service clause library"
    )
    url: Url | None = None
    text: Text | None = None


class Investment(Strict):
    amount_minor: MinorUnits
    currency: Currency
    description: Text


class TradeSecretRecords(Strict):
    """What trade-secret law asks an owner to show: investment, secrecy measures, terms with dates."""

    investment: Investment | None = None
    secrecy_measures: Annotated[list[SecrecyMeasure], Field(max_length=20)] = []
    weights_protected: bool | None = None
    terms_of_service: Annotated[list[TermsClause], Field(max_length=20)] = []


class ProtectedModelIn(Strict):
    name: Name
    access_mode: AccessMode
    release_date: date | None = Field(None, description="first made available: starts the licensing window")
    api_model_id: Name | None = None
    weights_files: Annotated[list[WeightsFile], Field(max_length=2000)] = []
    model_signing_digest: Digest | None = Field(
        None, description="the digest an OpenSSF model-signing manifest carries for the model folder"
    )
    trade_secret: TradeSecretRecords = TradeSecretRecords()

    @model_validator(mode="after")
    def _identified(self) -> ProtectedModelIn:
        if not (self.weights_files or self.model_signing_digest or self.api_model_id):
            raise ValueError("identify the model: weights_files, model_signing_digest or api_model_id")
        paths = [f.path for f in self.weights_files]
        if len(set(paths)) != len(paths):
            raise ValueError("weights_files: each path may appear once")
        return self


def _bounded_facts(value: dict[str, Any]) -> dict[str, Any]:
    if len(json.dumps(value, default=str)) > MAX_FACTS_JSON:
        raise ValueError(f"facts are larger than {MAX_FACTS_JSON} bytes as JSON")
    if _depth(value) > MAX_FACTS_DEPTH:
        raise ValueError(f"facts nest deeper than {MAX_FACTS_DEPTH} levels; the vocabulary has at most 3")
    return value


def _depth(value: object) -> int:
    if isinstance(value, dict):
        return 1 + max((_depth(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((_depth(v) for v in value), default=0)
    return 0


class StudentIn(Strict):
    name: Name
    weights_digest: Digest | None = None


class NoticeIn(Strict):
    teacher_model_id: int = Field(ge=1, le=2**31 - 1)
    purpose: Purpose
    commercial: bool
    expected_volume: int = Field(ge=0, le=10**13, description="expected queries to the teacher")
    student: StudentIn
    facts: Annotated[dict[str, Any], AfterValidator(_bounded_facts)] = Field(
        default_factory=dict,
        description="further facts in the law engine's vocabulary (docs/law.md); registry-known facts "
        "(teacher, distiller name, purpose, volume, date) are filled in and may not be contradicted",
    )

    @model_validator(mode="after")
    def _purpose_matches(self) -> NoticeIn:
        if self.purpose == "commercial" and not self.commercial:
            raise ValueError("purpose 'commercial' requires commercial: true")
        if self.purpose == "non_commercial_research" and self.commercial:
            raise ValueError("purpose 'non_commercial_research' requires commercial: false")
        return self


class LicenseRequestIn(Strict):
    notice_id: int = Field(ge=1, le=2**31 - 1)
    currency: Currency = "USD"


class LicenseDecisionIn(Strict):
    note: Text | None = None


class UsageReportIn(Strict):
    period: str = Field(pattern=r"^\d{4}-(0[1-9]|1[0-2])$", description="the reporting month, YYYY-MM")
    base_amount_minor: MinorUnits = Field(description="the period's amount in the levy base, in minor units")
    currency: Currency


class PaymentIn(Strict):
    amount_minor: int = Field(ge=1, le=10**15)
    currency: Currency
    reference: Name


class ClaimIn(Strict):
    notice_id: int = Field(ge=1, le=2**31 - 1)
    harbor: Harbor


class ConditionIn(Strict):
    """Evidence that a condition is met: a published disclosure (URL and its sha256) or an attestation."""

    url: Url | None = None
    sha256: Sha256Hex | None = None
    statement: Text | None = None

    @model_validator(mode="after")
    def _has_evidence(self) -> ConditionIn:
        if not (self.url or self.statement):
            raise ValueError("give the disclosure's url (with its sha256) or an attestation statement")
        if self.url and not self.sha256:
            raise ValueError("a published disclosure needs the sha256 of the document at the url")
        return self


class OrganizationIn(Strict):
    name: Name


class UserIn(Strict):
    organization_id: int = Field(ge=1, le=2**31 - 1)
    name: Name
    role: Role


class TokenIn(Strict):
    user_id: int = Field(ge=1, le=2**31 - 1)
    label: Name = "api"


CONDITION_KINDS = tuple(kind.value for kind in ConditionKind)
