"""Organizations, users and API tokens: administered by the registry's administrators."""

from __future__ import annotations

import sqlalchemy as sa

from distillgov.registry import actors
from distillgov.registry.errors import ConflictError, NotFoundError
from distillgov.registry.models import ApiToken, Organization, Role, User
from distillgov.registry.service.context import Context


def create_organization(ctx: Context, name: str) -> Organization:
    ctx.require(Role.administrator)
    if ctx.session.scalar(sa.select(Organization.id).where(Organization.name == name)) is not None:
        raise ConflictError(f"an organization named {name!r} already exists")
    org = Organization(name=name, created_at=ctx.now(), log_index=-1)
    ctx.session.add(org)
    ctx.session.flush()
    org.log_index = ctx.record("organization", f"organization:{org.id}", {"id": org.id, "name": name}).index
    return org


def create_user(ctx: Context, organization_id: int, name: str, role: Role) -> User:
    ctx.require(Role.administrator)
    org = ctx.session.get(Organization, organization_id)
    if org is None:
        raise NotFoundError(f"organization {organization_id} does not exist")
    if ctx.session.scalar(sa.select(User.id).where(User.name == name)) is not None:
        raise ConflictError(f"a user named {name!r} already exists")
    user = User(organization_id=org.id, name=name, role=role.value, created_at=ctx.now(), log_index=-1)
    ctx.session.add(user)
    ctx.session.flush()
    # Who holds which role in which organization is public (it says who may decide); the name is not.
    body = {"id": user.id, "organization": org.id, "role": role.value}
    user.log_index = ctx.record("user", f"user:{user.id}", body).index
    return user


def issue_token(ctx: Context, user_id: int, label: str) -> tuple[ApiToken, str]:
    """A new token for a user; the secret is returned once and never stored."""
    ctx.require(Role.administrator)
    if ctx.session.get(User, user_id) is None:
        raise NotFoundError(f"user {user_id} does not exist")
    secret = actors.new_token()
    token = ApiToken(
        user_id=user_id, token_sha256=actors.token_sha256(secret), label=label, created_at=ctx.now()
    )
    ctx.session.add(token)
    ctx.session.flush()
    return token, secret


def revoke_token(ctx: Context, token_id: int) -> ApiToken:
    ctx.require(Role.administrator)
    token = ctx.session.get(ApiToken, token_id)
    if token is None:
        raise NotFoundError(f"token {token_id} does not exist")
    if token.revoked_at is None:
        token.revoked_at = ctx.now()
    return token


def list_organizations(ctx: Context) -> list[Organization]:
    ctx.require(Role.administrator, Role.auditor)
    return list(ctx.session.scalars(sa.select(Organization).order_by(Organization.id)))


def list_users(ctx: Context, organization_id: int | None = None) -> list[User]:
    ctx.require(Role.administrator, Role.auditor)
    query = sa.select(User).order_by(User.id)
    if organization_id is not None:
        query = query.where(User.organization_id == organization_id)
    return list(ctx.session.scalars(query))
