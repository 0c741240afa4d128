"""Safe-harbor claims: filing, meeting their conditions, and their public status and history."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from distillgov.registry import translog
from distillgov.registry.actors import Actor
from distillgov.registry.api import auth
from distillgov.registry.api.idempotency import run_write
from distillgov.registry.api.params import RecordId
from distillgov.registry.api.responses import ClaimOut, HistoryEntry, Written
from distillgov.registry.api.state import app_state
from distillgov.registry.api.views import claim_out
from distillgov.registry.models import ConditionKind
from distillgov.registry.schemas import ClaimIn, ConditionIn
from distillgov.registry.service import harbors

router = APIRouter(prefix="/v1/claims", tags=["safe harbors"])


@router.post(
    "",
    status_code=201,
    response_model=Written[ClaimOut],
    openapi_extra=auth.DISTILLER_WRITE.openapi(write=True),
)
def file_claim(
    request: Request, body: ClaimIn, actor: Actor = Depends(auth.DISTILLER_WRITE.dependency)
) -> JSONResponse:
    """Claim a safe harbor the notice's classification recognises; its conditions fall due."""
    return run_write(request, actor, body, lambda ctx: claim_out(harbors.claim(ctx, body)))


@router.get("/{claim_id}", response_model=ClaimOut, openapi_extra=auth.PUBLIC.openapi())
def get_claim(
    request: Request, claim_id: RecordId, actor: Actor | None = Depends(auth.PUBLIC.dependency)
) -> ClaimOut:
    with app_state(request).reading(actor) as ctx:
        return claim_out(harbors.get(ctx, claim_id))


@router.post(
    "/{claim_id}/conditions/{kind}",
    status_code=200,
    response_model=Written[ClaimOut],
    openapi_extra=auth.DISTILLER_WRITE.openapi(write=True),
)
def meet_condition(
    request: Request,
    claim_id: RecordId,
    kind: ConditionKind,
    body: ConditionIn,
    actor: Actor = Depends(auth.DISTILLER_WRITE.dependency),
) -> JSONResponse:
    """Meet a condition with evidence: the published disclosure (url, sha256) or an attestation."""
    return run_write(
        request, actor, body, lambda ctx: claim_out(harbors.meet_condition(ctx, claim_id, kind, body)), 200
    )


@router.get("/{claim_id}/history", response_model=list[HistoryEntry], openapi_extra=auth.PUBLIC.openapi())
def history(
    request: Request, claim_id: RecordId, actor: Actor | None = Depends(auth.PUBLIC.dependency)
) -> list[HistoryEntry]:
    with app_state(request).reading(actor) as ctx:
        found = harbors.get(ctx, claim_id)
        return [HistoryEntry.model_validate(e) for e in translog.history(ctx.session, harbors.subject(found))]
