"""Distillation notices and their classification."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse

from distillgov.registry.actors import Actor
from distillgov.registry.api import auth
from distillgov.registry.api.idempotency import run_write
from distillgov.registry.api.params import RecordId
from distillgov.registry.api.responses import NoticeOut, Written
from distillgov.registry.api.state import app_state
from distillgov.registry.api.views import notice_out
from distillgov.registry.schemas import NoticeIn
from distillgov.registry.service import notices

router = APIRouter(prefix="/v1/notices", tags=["notices"])


@router.post(
    "",
    status_code=201,
    response_model=Written[NoticeOut],
    openapi_extra=auth.DISTILLER_WRITE.openapi(write=True),
)
def file_notice(
    request: Request, body: NoticeIn, actor: Actor = Depends(auth.DISTILLER_WRITE.dependency)
) -> JSONResponse:
    """File a notice; the registry classifies it under the proposed regime and logs both."""
    return run_write(request, actor, body, lambda ctx: notice_out(ctx, notices.file(ctx, body)))


@router.get("", response_model=list[NoticeOut], openapi_extra=auth.PARTIES.openapi())
def list_notices(
    request: Request,
    limit: int = Query(50, ge=1, le=500),
    offset: int = Query(0, ge=0, le=10**9),
    actor: Actor = Depends(auth.PARTIES.dependency),
) -> list[NoticeOut]:
    """The notices the caller's organization filed or that name its models (all, for overseers)."""
    with app_state(request).reading(actor) as ctx:
        return [notice_out(ctx, n) for n in notices.list_visible(ctx, limit, offset)]


@router.get("/{notice_id}", response_model=NoticeOut, openapi_extra=auth.PUBLIC_OR_PARTY.openapi())
def get_notice(
    request: Request, notice_id: RecordId, actor: Actor | None = Depends(auth.PUBLIC_OR_PARTY.dependency)
) -> NoticeOut:
    with app_state(request).reading(actor) as ctx:
        return notice_out(ctx, notices.get(ctx, notice_id))
