"""Provenance for downstream diligence: what the registry knows about a student model's lineage.

Look-up by weights digest or name answers the second seed's downstream user ("was this model
distilled, from what, and was it licensed?"); the ML-BOM exports the same lineage as CycloneDX, with
the teacher under `pedigree.ancestors`, built with the maintained CycloneDX library and validated
against its JSON schema before it is served. cyclonedx-python-lib cannot emit `modelCard` yet, so it
is added to the serialized JSON and the whole document validated afterwards.
"""

from __future__ import annotations

import json
import uuid
from functools import cache
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from cyclonedx.model import ExternalReference, ExternalReferenceType, HashAlgorithm, HashType, Property, XsUri
from cyclonedx.model.bom import Bom
from cyclonedx.model.component import Component, ComponentType, Pedigree
from cyclonedx.model.contact import OrganizationalEntity
from cyclonedx.output.json import JsonV1Dot6
from cyclonedx.schema import SchemaVersion

from distillgov import __version__
from distillgov.registry.models import License, Notice, ProtectedModel, SafeHarborClaim
from distillgov.registry.service import harbors, licenses, notices
from distillgov.registry.service.context import Context

if TYPE_CHECKING:
    from cyclonedx.validation.json import JsonStrictValidator

SCHEMA_VERSION = SchemaVersion.V1_6
PREFIX = "distillgov:registry"


class MlBomInvalidError(RuntimeError):
    """The exported BOM failed schema validation: a bug in the exporter, never served."""


def lookup(ctx: Context, *, digest: str | None, name: str | None, limit: int) -> list[dict[str, Any]]:
    query = sa.select(Notice).order_by(Notice.id).limit(limit)
    if digest is not None:
        query = query.where(Notice.student_digest == digest)
    if name is not None:
        query = query.where(Notice.student_name == name)
    return [lineage(ctx, notice) for notice in ctx.session.scalars(query)]


def lineage(ctx: Context, notice: Notice) -> dict[str, Any]:
    lic = ctx.session.scalar(sa.select(License).where(License.notice_id == notice.id))
    claims = ctx.session.scalars(
        sa.select(SafeHarborClaim).where(SafeHarborClaim.notice_id == notice.id).order_by(SafeHarborClaim.id)
    )
    return {
        "notice": notices.public_view(notice),
        "notice_log_index": notice.log_index,
        "license": licenses.public_view(lic) if lic else None,
        "safe_harbor_claims": [harbors.public_view(c) for c in claims],
    }


def mlbom(ctx: Context, notice_id: int) -> dict[str, Any]:
    notice = notices.get(ctx, notice_id)
    record = lineage(ctx, notice)
    teacher = notice.teacher
    bom = Bom()
    bom.metadata.timestamp = ctx.now()
    bom.metadata.component = _student(notice, record, _teacher(teacher))
    bom.serial_number = uuid.uuid5(uuid.NAMESPACE_URL, f"{PREFIX}/notice/{notice.id}/{ctx.now().isoformat()}")
    document: dict[str, Any] = json.loads(JsonV1Dot6(bom).output_as_string())
    document["metadata"]["component"]["modelCard"] = _model_card(teacher)
    document["metadata"]["tools"] = {
        "components": [{"type": "application", "name": "distillgov", "version": __version__}]
    }
    error = _validator().validate_str(json.dumps(document))
    if error is not None:
        raise MlBomInvalidError(
            f"ML-BOM for notice {notice.id} is not valid CycloneDX {SCHEMA_VERSION}: {error}"
        )
    return document


@cache
def _validator() -> JsonStrictValidator:
    """One validator per process: building it compiles the CycloneDX schemas (seconds), using it is fast.

    Imported here: jsonschema's format checkers (rfc3987-syntax) take seconds to import, which every
    API worker would otherwise pay at start-up whether or not it ever exports a BOM.
    """
    from cyclonedx.validation.json import JsonStrictValidator

    return JsonStrictValidator(SCHEMA_VERSION)


def _hashes(digest: str | None) -> list[HashType]:
    if digest is None or not digest.startswith("sha256:"):
        return []
    return [HashType(alg=HashAlgorithm.SHA_256, content=digest.removeprefix("sha256:"))]


def _teacher(model: ProtectedModel) -> Component:
    properties = [
        Property(name=f"{PREFIX}:protected_model", value=str(model.id)),
        Property(name=f"{PREFIX}:access_mode", value=model.access_mode),
        Property(name=f"{PREFIX}:registration_log_index", value=str(model.log_index)),
    ]
    if model.api_model_id:
        properties.append(Property(name=f"{PREFIX}:api_model_id", value=model.api_model_id))
    if model.model_signing_digest:
        properties.append(Property(name=f"{PREFIX}:model_signing_digest", value=model.model_signing_digest))
    return Component(
        type=ComponentType.MACHINE_LEARNING_MODEL,
        name=model.name,
        bom_ref=f"protected-model-{model.id}",
        supplier=OrganizationalEntity(name=model.owner.name),
        hashes=_hashes(model.weights_digest),
        properties=properties,
    )


def _student(notice: Notice, record: dict[str, Any], teacher: Component) -> Component:
    properties = [
        Property(name=f"{PREFIX}:notice", value=str(notice.id)),
        Property(name=f"{PREFIX}:notice_log_index", value=str(notice.log_index)),
        Property(name=f"{PREFIX}:classification", value=str(notice.classification)),
        Property(name=f"{PREFIX}:purpose", value=notice.purpose),
        Property(name=f"{PREFIX}:commercial", value=str(notice.commercial).lower()),
        Property(name=f"{PREFIX}:facts_sha256", value=notice.facts_sha256),
        *(Property(name=f"{PREFIX}:safe_harbor", value=h) for h in notice.assessment["safe_harbors"]),
    ]
    lic = record["license"]
    if lic is not None:
        properties += [
            Property(name=f"{PREFIX}:license", value=str(lic["id"])),
            Property(name=f"{PREFIX}:license_status", value=lic["status"]),
            Property(name=f"{PREFIX}:license_expires_on", value=lic["expires_on"]),
            *(Property(name=f"{PREFIX}:unsourced_parameter", value=p) for p in lic["unsourced_parameters"]),
        ]
    references = []
    for claim in record["safe_harbor_claims"]:
        properties.append(Property(name=f"{PREFIX}:claim:{claim['harbor']}", value=claim["status"]))
        for condition in claim["conditions"]:
            evidence = condition["evidence"] or {}
            if "url" in evidence:
                references.append(
                    ExternalReference(
                        type=ExternalReferenceType.OTHER,
                        url=XsUri(evidence["url"]),
                        comment=f"{condition['kind']} disclosure for the {claim['harbor']} safe harbor",
                        hashes=[HashType(alg=HashAlgorithm.SHA_256, content=evidence["sha256"])],
                    )
                )
    return Component(
        type=ComponentType.MACHINE_LEARNING_MODEL,
        name=notice.student_name,
        bom_ref=f"student-notice-{notice.id}",
        supplier=OrganizationalEntity(name=notice.distiller.name),
        hashes=_hashes(notice.student_digest),
        pedigree=Pedigree(ancestors=[teacher]),
        properties=properties,
        external_references=references,
    )


def _model_card(teacher: ProtectedModel) -> dict[str, Any]:
    return {
        "modelParameters": {
            "approach": {"type": "supervised"},
            "datasets": [
                {
                    "type": "dataset",
                    "name": f"outputs of {teacher.name}",
                    "description": "teacher outputs used as training targets (knowledge distillation)",
                }
            ],
        }
    }
