"""Distillation notices: the distiller declares, the registry fills in what it knows, the law engine
classifies, and both the notice and its classification are logged.

The registry is the authority on the teacher (owner, access, release date, secrecy measures, terms)
and on who files and when; those facts are filled in from its records, and a notice whose facts
contradict them is refused rather than silently corrected.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

import sqlalchemy as sa

from distillgov.registry.classifier import Classification
from distillgov.registry.errors import FieldProblem, InvalidRequestError, NotFoundError
from distillgov.registry.models import Notice, Organization, ProtectedModel, Role
from distillgov.registry.schemas import NoticeIn
from distillgov.registry.service.context import Context


def registry_facts(
    teacher: ProtectedModel, distiller: Organization, data: NoticeIn, on: date
) -> dict[str, Any]:
    """The facts the registry itself vouches for, by vocabulary path."""
    records = teacher.trade_secret["records"]
    facts: dict[str, Any] = {
        "as_of": on.isoformat(),
        "teacher.owner": teacher.owner.name,
        "teacher.access": teacher.access_mode,
        "distiller.name": distiller.name,
        "conduct.purpose": data.purpose.value,
        "conduct.queries": data.expected_volume,
    }
    if teacher.release_date is not None:
        facts["teacher.release_date"] = teacher.release_date.isoformat()
    if records["secrecy_measures"]:
        facts["teacher.secrecy_measures"] = sorted(records["secrecy_measures"])
    if records["investment"] is not None:
        facts["teacher.investment_documented"] = True
    if records["weights_protected"] is not None:
        facts["teacher.weights_protected"] = records["weights_protected"]
    clause = _clause_in_force(records["terms_of_service"], on)
    if clause is not None:
        facts["teacher.terms_of_service.clause"] = clause
    return facts


def _clause_in_force(terms: list[dict[str, Any]], on: date) -> str | None:
    """The library clause of the latest terms in force on the notice's date, if any is a library clause."""
    in_force = sorted(
        (t for t in terms if date.fromisoformat(t["effective_date"]) <= on), key=lambda t: t["effective_date"]
    )
    return in_force[-1]["clause_id"] if in_force else None


def merge_facts(known: Mapping[str, Any], declared: Mapping[str, Any]) -> dict[str, Any]:
    """The declared facts with the registry's filled in; a contradiction is a field-level refusal."""
    flat = _flatten(declared, "")
    problems = [
        FieldProblem(f"body.facts.{path}", f"{flat[path]!r} contradicts the registry's record ({value!r})")
        for path, value in known.items()
        if path in flat and _normal(flat[path]) != _normal(value)
    ]
    if problems:
        raise InvalidRequestError("the facts contradict what the registry records", problems)
    return _nest({**flat, **known})


def _flatten(node: Mapping[str, Any], prefix: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in node.items():
        path = f"{prefix}{key}"
        if isinstance(value, Mapping):
            out.update(_flatten(value, f"{path}."))
        else:
            out[path] = value
    return out


def _nest(flat: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for path, value in flat.items():
        *parents, leaf = path.split(".")
        node = out
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = value
    return out


def _normal(value: Any) -> Any:
    return sorted(map(str, value)) if isinstance(value, list) else str(value).lower()


def file(ctx: Context, data: NoticeIn) -> Notice:
    actor = ctx.require(Role.distiller)
    teacher = ctx.session.get(ProtectedModel, data.teacher_model_id)
    if teacher is None:
        raise InvalidRequestError(
            "the teacher is not a registered protected model",
            [FieldProblem("body.teacher_model_id", f"no protected model {data.teacher_model_id}")],
        )
    distiller = ctx.session.get(Organization, actor.organization_id)
    assert distiller is not None, "an authenticated actor's organization exists"
    on = ctx.today()
    facts = merge_facts(registry_facts(teacher, distiller, data, on), data.facts)
    result = ctx.classifier.classify(facts, on)
    notice = Notice(
        distiller_org_id=distiller.id,
        filed_by_user_id=actor.user_id,
        teacher_model_id=teacher.id,
        purpose=data.purpose.value,
        commercial=data.commercial,
        expected_volume=data.expected_volume,
        student_name=data.student.name,
        student_digest=data.student.weights_digest,
        filed_on=on,
        filed_at=ctx.now(),
        facts=result.facts,
        facts_sha256=result.facts_sha256,
        classification=result.classification,
        compulsory_license=result.compulsory_license,
        assessment=result.assessment,
        rulebooks=list(result.rulebooks),
        parameters=result.parameters,
        log_index=-1,
    )
    ctx.session.add(notice)
    ctx.session.flush()
    subject = f"notice:{notice.id}"
    notice.log_index = ctx.record(
        "notice", subject, public_view(notice) | {"facts_sha256": notice.facts_sha256}
    ).index
    ctx.record("classification", subject, classification_entry(notice.id, result))
    return notice


def classification_entry(notice_id: int, result: Classification) -> dict[str, Any]:
    """What the log keeps of a classification: every answer and what it rests on, by hash for the tree."""
    assessment = result.assessment
    return {
        "notice": notice_id,
        "classification": result.classification,
        "safe_harbors": list(result.safe_harbors),
        "safe_harbors_uncertain": list(result.safe_harbors_uncertain),
        "immunity": result.immunity,
        "compulsory_license": assessment["compulsory_license"],
        "levy": assessment["levy"],
        "uncertainties": [
            {k: u[k] for k in ("answer_key", "basis", "depends_on") if k in u} for u in result.uncertainties
        ],
        "facts_sha256": result.facts_sha256,
        "assessment_sha256": result.assessment_sha256,
        "rulebooks": [{k: rb[k] for k in ("name", "version", "sha256")} for rb in result.rulebooks],
        "parameters": [
            {k: p[k] for k in ("name", "value", "effective_from", "unsourced")}
            for p in result.parameters["used"]
        ],
    }


def get(ctx: Context, notice_id: int) -> Notice:
    notice = ctx.session.get(Notice, notice_id)
    if notice is None:
        raise NotFoundError(f"notice {notice_id} does not exist")
    return notice


def can_see_details(ctx: Context, notice: Notice) -> bool:
    """The filer, the teacher's owner, auditors and administrators see facts and justification."""
    return ctx.is_privileged() or ctx.in_org(notice.distiller_org_id, notice.teacher.owner_org_id)


def list_visible(ctx: Context, limit: int, offset: int) -> list[Notice]:
    actor = ctx.require(Role.distiller, Role.teacher_owner, Role.auditor, Role.administrator)
    query = sa.select(Notice).order_by(Notice.id).limit(limit).offset(offset)
    if not ctx.is_privileged():
        owned = sa.select(ProtectedModel.id).where(ProtectedModel.owner_org_id == actor.organization_id)
        query = query.where(
            sa.or_(Notice.distiller_org_id == actor.organization_id, Notice.teacher_model_id.in_(owned))
        )
    return list(ctx.session.scalars(query))


def public_view(notice: Notice) -> dict[str, Any]:
    """What the regime makes public about a notice: who distils which teacher into what, and the outcome."""
    assessment = notice.assessment
    return {
        "id": notice.id,
        "teacher": {"id": notice.teacher_model_id, "name": notice.teacher.name},
        "distiller": {"id": notice.distiller_org_id, "name": notice.distiller.name},
        "student": {"name": notice.student_name, "weights_digest": notice.student_digest},
        "purpose": notice.purpose,
        "commercial": notice.commercial,
        "filed_on": notice.filed_on.isoformat(),
        "classification": notice.classification,
        "safe_harbors": assessment["safe_harbors"],
        "safe_harbors_uncertain": assessment["safe_harbors_uncertain"],
        "immunity": assessment["immunity"]["granted"],
        "compulsory_license": assessment["compulsory_license"],
        "log_index": notice.log_index,
        "details": None,
    }


def detailed_view(notice: Notice) -> dict[str, Any]:
    assessment = notice.assessment
    return public_view(notice) | {
        "details": {
            "expected_volume": notice.expected_volume,
            "facts": notice.facts,
            "facts_sha256": notice.facts_sha256,
            "uncertainties": assessment["uncertainties"],
            "assumptions": assessment["assumptions"],
            "levy": assessment["levy"],
            "immunity_conditions": assessment["immunity"],
            "justification": assessment["justification"],
            "rulebooks": notice.rulebooks,
            "parameters": notice.parameters,
        }
    }
