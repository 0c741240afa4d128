"""Protected models: registered by their owner, public in outline, trade-secret records kept private."""

from __future__ import annotations

import hashlib
from typing import Any

import sqlalchemy as sa

from distillgov.registry import translog
from distillgov.registry.errors import ConflictError, NotFoundError
from distillgov.registry.models import Organization, ProtectedModel, Role
from distillgov.registry.schemas import ProtectedModelIn
from distillgov.registry.service.context import Context
from distillgov.registry.tlog.entries import canonical_entry


def weights_digest(files: list[dict[str, str]]) -> str | None:
    """One digest for a folder of weights: sha256 of the canonical JSON of its (path, sha256) list."""
    if not files:
        return None
    listing = sorted(files, key=lambda f: f["path"])
    return "sha256:" + hashlib.sha256(canonical_entry({"files": listing})).hexdigest()


def register(ctx: Context, data: ProtectedModelIn) -> ProtectedModel:
    actor = ctx.require(Role.teacher_owner)
    if ctx.session.scalar(sa.select(ProtectedModel.id).where(ProtectedModel.name == data.name)) is not None:
        raise ConflictError(f"a protected model named {data.name!r} is already registered")
    files = [f.model_dump() for f in data.weights_files]
    trade_secret = data.trade_secret.model_dump(mode="json")
    salt = translog.new_salt()
    model = ProtectedModel(
        owner_org_id=actor.organization_id,
        name=data.name,
        api_model_id=data.api_model_id,
        access_mode=data.access_mode.value,
        release_date=data.release_date,
        weights_digest=weights_digest(files),
        weights_files=files,
        model_signing_digest=data.model_signing_digest,
        trade_secret={"salt": salt, "records": trade_secret},
        registered_at=ctx.now(),
        log_index=-1,
    )
    ctx.session.add(model)
    ctx.session.flush()
    # The file list can be long; its digest stands for it in the log (an entry is at most 64 KiB).
    body = {k: v for k, v in public_view(model).items() if k != "weights_files"} | {
        "weights_file_count": len(files),
        "trade_secret_commitment": translog.commitment(trade_secret, salt),
    }
    model.log_index = ctx.record("registration", f"model:{model.id}", body).index
    return model


def get(ctx: Context, model_id: int) -> ProtectedModel:
    model = ctx.session.get(ProtectedModel, model_id)
    if model is None:
        raise NotFoundError(f"protected model {model_id} is not registered")
    return model


def _lookup_statement(by_name: bool, by_digest: bool) -> sa.Select[Any]:
    """The public look-up as a Core SELECT of just the public columns and the owner's name.

    Built once per filter combination with bound parameters, so a request neither rebuilds it nor
    misses SQLAlchemy's compiled-statement cache, and no ORM identity map is filled per request.
    """
    columns = [column for column in ProtectedModel.__table__.c if column.name != "trade_secret"] + [
        Organization.name.label("owner_name")
    ]
    query = (
        sa.select(*columns)
        .join(Organization, Organization.id == ProtectedModel.owner_org_id)
        .order_by(ProtectedModel.id)
        .limit(sa.bindparam("limit", type_=sa.Integer))
    )
    if by_name:
        query = query.where(ProtectedModel.name == sa.bindparam("name"))
    if by_digest:
        digest: sa.BindParameter[str] = sa.bindparam("digest")
        query = query.where(
            sa.or_(ProtectedModel.weights_digest == digest, ProtectedModel.model_signing_digest == digest)
        )
    return query


LOOKUP_STATEMENTS = {
    (by_name, by_digest): _lookup_statement(by_name, by_digest)
    for by_name in (False, True)
    for by_digest in (False, True)
}


def lookup(
    connection: sa.Connection, *, name: str | None, digest: str | None, limit: int
) -> list[dict[str, Any]]:
    """Public views of the models by name and/or digest (all of them, up to `limit`, without a filter).

    One statement, so it needs no transaction (`Database.outside_transaction`)."""
    statement = LOOKUP_STATEMENTS[(name is not None, digest is not None)]
    rows = connection.execute(statement, {"name": name, "digest": digest, "limit": limit})
    return [view_of(row, row.owner_name) | {"log_index": row.log_index} for row in rows]


def trade_secret_records(ctx: Context, model_id: int) -> dict[str, Any]:
    """The owner's records with the salt that opens the log's commitment; owner, auditor, admin only."""
    model = get(ctx, model_id)
    ctx.require(Role.teacher_owner, Role.auditor, Role.administrator)
    if not (ctx.is_privileged() or ctx.in_org(model.owner_org_id)):
        raise NotFoundError(f"protected model {model_id}'s records are not visible to your organization")
    return {"model_id": model.id, **model.trade_secret}


def public_view(model: ProtectedModel) -> dict[str, Any]:
    return view_of(model, model.owner.name)


def view_of(model: Any, owner_name: str) -> dict[str, Any]:
    """The public fields of a model, from the ORM object or from a row of its columns."""
    return {
        "id": model.id,
        "name": model.name,
        "owner": {"id": model.owner_org_id, "name": owner_name},
        "access_mode": model.access_mode,
        "release_date": model.release_date.isoformat() if model.release_date else None,
        "api_model_id": model.api_model_id,
        "weights_digest": model.weights_digest,
        "weights_files": model.weights_files,
        "model_signing_digest": model.model_signing_digest,
        "registered_at": model.registered_at.isoformat().replace("+00:00", "Z"),
    }
