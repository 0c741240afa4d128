"""Administration: organizations, users, tokens, and the daily compliance sweep."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from distillgov.registry.actors import Actor
from distillgov.registry.api import auth
from distillgov.registry.api.idempotency import run_write
from distillgov.registry.api.params import RecordId
from distillgov.registry.api.responses import Me, OrganizationOut, SweepOut, TokenOut, UserOut, Written
from distillgov.registry.api.state import app_state
from distillgov.registry.models import Role
from distillgov.registry.schemas import OrganizationIn, TokenIn, UserIn
from distillgov.registry.service import compliance, directory
from distillgov.registry.service.context import Context

router = APIRouter(prefix="/v1", tags=["administration"])


@router.get("/me", response_model=Me, openapi_extra=auth.ANY_USER.openapi())
def me(actor: Actor = Depends(auth.ANY_USER.dependency)) -> Me:
    """Who the bearer token belongs to."""
    return Me(user_id=actor.user_id, organization_id=actor.organization_id, role=actor.role.value)


@router.post(
    "/admin/organizations",
    status_code=201,
    response_model=Written[OrganizationOut],
    openapi_extra=auth.ADMIN.openapi(write=True),
)
def create_organization(
    request: Request, body: OrganizationIn, actor: Actor = Depends(auth.ADMIN.dependency)
) -> JSONResponse:
    return run_write(
        request,
        actor,
        body,
        lambda ctx: OrganizationOut.model_validate(
            directory.create_organization(ctx, body.name), from_attributes=True
        ),
    )


@router.get(
    "/admin/organizations", response_model=list[OrganizationOut], openapi_extra=auth.OVERSIGHT.openapi()
)
def list_organizations(
    request: Request, actor: Actor = Depends(auth.OVERSIGHT.dependency)
) -> list[OrganizationOut]:
    with app_state(request).reading(actor) as ctx:
        return [
            OrganizationOut.model_validate(o, from_attributes=True) for o in directory.list_organizations(ctx)
        ]


@router.post(
    "/admin/users",
    status_code=201,
    response_model=Written[UserOut],
    openapi_extra=auth.ADMIN.openapi(write=True),
)
def create_user(
    request: Request, body: UserIn, actor: Actor = Depends(auth.ADMIN.dependency)
) -> JSONResponse:
    return run_write(
        request,
        actor,
        body,
        lambda ctx: UserOut.model_validate(
            directory.create_user(ctx, body.organization_id, body.name, Role(body.role)), from_attributes=True
        ),
    )


@router.get("/admin/users", response_model=list[UserOut], openapi_extra=auth.OVERSIGHT.openapi())
def list_users(request: Request, actor: Actor = Depends(auth.OVERSIGHT.dependency)) -> list[UserOut]:
    with app_state(request).reading(actor) as ctx:
        return [UserOut.model_validate(u, from_attributes=True) for u in directory.list_users(ctx)]


@router.post(
    "/admin/tokens",
    status_code=201,
    response_model=Written[TokenOut],
    openapi_extra=auth.ADMIN.openapi(write=True),
)
def issue_token(
    request: Request, body: TokenIn, actor: Actor = Depends(auth.ADMIN.dependency)
) -> JSONResponse:
    """Issue a token; its secret is in this response only (the registry keeps its sha256)."""

    def operation(ctx: Context) -> TokenOut:
        token, secret = directory.issue_token(ctx, body.user_id, body.label)
        return TokenOut.model_validate(token, from_attributes=True).model_copy(update={"token": secret})

    def without_secret(response: dict[str, Any]) -> dict[str, Any]:
        return response | {"result": response["result"] | {"token": None}}

    return run_write(request, actor, body, operation, redact=without_secret)


@router.post(
    "/admin/tokens/{token_id}/revoke",
    status_code=200,
    response_model=Written[TokenOut],
    openapi_extra=auth.ADMIN.openapi(write=True),
)
def revoke_token(
    request: Request, token_id: RecordId, actor: Actor = Depends(auth.ADMIN.dependency)
) -> JSONResponse:
    return run_write(
        request,
        actor,
        None,
        lambda ctx: TokenOut.model_validate(directory.revoke_token(ctx, token_id), from_attributes=True),
        status_code=200,
    )


@router.post(
    "/admin/sweep",
    status_code=200,
    response_model=Written[SweepOut],
    openapi_extra=auth.ADMIN.openapi(write=True),
)
def sweep(request: Request, actor: Actor = Depends(auth.ADMIN.dependency)) -> JSONResponse:
    """Decide today's defaults, cures, terminations, expiries and safe-harbor lapses."""
    return run_write(
        request, actor, None, lambda ctx: SweepOut.model_validate(compliance.sweep(ctx)), status_code=200
    )
