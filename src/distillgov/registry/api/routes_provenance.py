"""Downstream diligence: look a student model up by digest or name; export its CycloneDX ML-BOM."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response

from distillgov.registry.actors import Actor
from distillgov.registry.api import auth
from distillgov.registry.api.params import RecordId
from distillgov.registry.api.responses import LineageOut
from distillgov.registry.api.state import app_state
from distillgov.registry.errors import FieldProblem, InvalidRequestError
from distillgov.registry.service import provenance

router = APIRouter(prefix="/v1/provenance", tags=["provenance"])
CYCLONEDX_MEDIA_TYPE = "application/vnd.cyclonedx+json"


@router.get("", response_model=list[LineageOut], openapi_extra=auth.PUBLIC.openapi())
def lookup(
    request: Request,
    digest: str | None = Query(None, pattern=r"^sha256:[0-9a-f]{64}$"),
    name: str | None = Query(None, min_length=1, max_length=200),
    limit: int = Query(50, ge=1, le=500),
    actor: Actor | None = Depends(auth.PUBLIC.dependency),
) -> Response:
    """Student models by weights digest or name: teacher, classification, license, safe harbors."""
    if digest is None and name is None:
        raise InvalidRequestError(
            "give a digest or a name", [FieldProblem("query.digest", "digest or name required")]
        )
    found = app_state(request).public.lineages(digest=digest, name=name, limit=limit)
    return Response(found, media_type="application/json")


@router.get(
    "/{notice_id}/mlbom",
    openapi_extra=auth.PUBLIC.openapi(),
    responses={
        200: {
            "content": {CYCLONEDX_MEDIA_TYPE: {"schema": {"type": "object"}}},
            "description": "CycloneDX 1.6",
        }
    },
)
def mlbom(
    request: Request, notice_id: RecordId, actor: Actor | None = Depends(auth.PUBLIC.dependency)
) -> JSONResponse:
    """The student's declared lineage as a CycloneDX ML-BOM (teacher under pedigree.ancestors)."""
    with app_state(request).reading(actor) as ctx:
        document: dict[str, Any] = provenance.mlbom(ctx, notice_id)
    return JSONResponse(document, media_type=CYCLONEDX_MEDIA_TYPE)
