"""Protected models: registration by the owner, public look-up, private trade-secret records."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response

from distillgov.registry.actors import Actor
from distillgov.registry.api import auth
from distillgov.registry.api.idempotency import run_write
from distillgov.registry.api.params import RecordId
from distillgov.registry.api.responses import ModelOut, TradeSecretOut, Written
from distillgov.registry.api.state import app_state
from distillgov.registry.api.views import model_out
from distillgov.registry.schemas import ProtectedModelIn
from distillgov.registry.service import protected_models

router = APIRouter(prefix="/v1/models", tags=["protected models"])
DIGEST_PATTERN = r"^sha256:[0-9a-f]{64}$"


@router.post(
    "", status_code=201, response_model=Written[ModelOut], openapi_extra=auth.OWNER_WRITE.openapi(write=True)
)
def register(
    request: Request, body: ProtectedModelIn, actor: Actor = Depends(auth.OWNER_WRITE.dependency)
) -> JSONResponse:
    """Register a protected model of the caller's organization."""
    return run_write(request, actor, body, lambda ctx: model_out(protected_models.register(ctx, body)))


@router.get("", response_model=list[ModelOut], openapi_extra=auth.PUBLIC.openapi())
def lookup(
    request: Request,
    name: str | None = Query(None, min_length=1, max_length=200),
    digest: str | None = Query(None, pattern=DIGEST_PATTERN),
    limit: int = Query(50, ge=1, le=500),
    actor: Actor | None = Depends(auth.PUBLIC.dependency),
) -> Response:
    """Protected models by name or by weights / model-signing digest (all of them without a filter)."""
    found = app_state(request).public.models(name=name, digest=digest, limit=limit)
    return Response(found, media_type="application/json")


@router.get("/{model_id}", response_model=ModelOut, openapi_extra=auth.PUBLIC.openapi())
def get(
    request: Request, model_id: RecordId, actor: Actor | None = Depends(auth.PUBLIC.dependency)
) -> ModelOut:
    with app_state(request).reading(actor) as ctx:
        return model_out(protected_models.get(ctx, model_id))


@router.get(
    "/{model_id}/trade-secret", response_model=TradeSecretOut, openapi_extra=auth.OWNER_RECORDS.openapi()
)
def trade_secret(
    request: Request, model_id: RecordId, actor: Actor = Depends(auth.OWNER_RECORDS.dependency)
) -> TradeSecretOut:
    """The owner's trade-secret records and the salt that opens their commitment in the log."""
    with app_state(request).reading(actor) as ctx:
        return TradeSecretOut.model_validate(protected_models.trade_secret_records(ctx, model_id))
