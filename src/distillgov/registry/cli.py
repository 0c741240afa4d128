"""`distillgov registry ...`: serve the API, migrate the database, administer users, verify the log.

Heavy imports (FastAPI, SQLAlchemy, uvicorn) happen inside the commands, so `distillgov --help`
stays fast. Administration commands act with the operator's authority (whoever can open the
database is its administrator) and log what they decide, like the API does.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from distillgov.registry.tlog import cli as tlog_cli

if TYPE_CHECKING:
    from distillgov.registry.service.context import Context

registry_app = typer.Typer(
    name="registry",
    help="The distillation registry: serve its API, migrate its database, administer it, verify its log.",
    no_args_is_help=True,
)
admin_app = typer.Typer(
    name="admin", help="Organizations, users, API tokens and the daily sweep.", no_args_is_help=True
)
registry_app.add_typer(admin_app, name="admin")
tlog_cli.register(registry_app)

DB_HELP = (
    "Database URL (sqlite:///PATH or postgresql://...). Default: a SQLite file in the user's data folder."
)
WORKER_HEALTHCHECK_TIMEOUT_S = 60
KEY_HELP = "File holding the log's Ed25519 signer key. Default: log-signer.key in the user's data folder."


class RoleChoice(StrEnum):
    teacher_owner = "teacher_owner"
    distiller = "distiller"
    auditor = "auditor"
    administrator = "administrator"


def register(app: typer.Typer) -> None:
    app.add_typer(registry_app, name="registry")


def _url(db: str | None) -> str:
    from distillgov.registry.db import default_database_url

    return db or os.environ.get("DISTILLGOV_REGISTRY_DB") or default_database_url()


def _key_file(log_key: Path | None) -> Path:
    from distillgov.registry.api.settings import ENV_KEY_FILE, default_key_file

    return log_key or Path(os.environ.get(ENV_KEY_FILE) or default_key_file())


def _init(url: str, key_file: Path, origin: str) -> tuple[str, str]:
    from distillgov.registry.api.settings import ensure_key_file
    from distillgov.registry.db import Database
    from distillgov.registry.migrate import upgrade
    from distillgov.registry.tlog.note import parse_signer

    database = Database(url)
    try:
        revision = upgrade(database)
    except Exception as exc:
        raise typer.BadParameter(f"cannot migrate {database.engine.url!r}: {exc}", param_hint="--db") from exc
    finally:
        database.dispose()
    signer = parse_signer(ensure_key_file(key_file, origin))
    return revision, signer.verifier.text


@registry_app.command("init-db")
def init_db(
    db: str | None = typer.Option(None, "--db", help=DB_HELP),
    log_key: Path | None = typer.Option(None, "--log-key", help=KEY_HELP),
    origin: str = typer.Option(
        "localhost/distillgov-registry", "--origin", help="The log's name (origin line) for a new key."
    ),
) -> None:
    """Create or upgrade the database schema (Alembic migrations) and the log's signing key."""
    url = _url(db)
    revision, vkey = _init(url, _key_file(log_key), origin)
    typer.echo(f"database at revision {revision}: {url}")
    typer.echo(f"log verifier key: {vkey}")


@registry_app.command("serve")
def serve(
    db: str | None = typer.Option(None, "--db", help=DB_HELP),
    host: str = typer.Option("127.0.0.1", "--host", help="Interface to listen on."),
    port: int = typer.Option(8000, "--port", min=0, max=65535, help="TCP port."),
    workers: int = typer.Option(1, "--workers", min=1, max=64, help="Worker processes (stateless)."),
    log_key: Path | None = typer.Option(None, "--log-key", help=KEY_HELP),
) -> None:
    """Serve the API (migrating the database and creating the log key first if needed)."""
    import uvicorn

    from distillgov.registry.api.settings import DEFAULT_ORIGIN, ENV_DB, ENV_KEY_FILE

    url, key_file = _url(db), _key_file(log_key)
    revision, vkey = _init(url, key_file, DEFAULT_ORIGIN)
    typer.echo(f"database at revision {revision}; log verifier key: {vkey}")
    os.environ[ENV_DB] = url
    os.environ[ENV_KEY_FILE] = str(key_file)
    uvicorn.run(
        "distillgov.registry.api.app:app_from_env",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        # uvicorn kills a worker that misses its supervisor's ping for 5 s; a worker busy with CPU-bound
        # classifications on a saturated machine misses it and is killed with requests in flight.
        timeout_worker_healthcheck=WORKER_HEALTHCHECK_TIMEOUT_S,
    )


@contextmanager
def _admin(db: str | None) -> Iterator[Context]:
    from distillgov.registry.classifier import LawEngineClassifier
    from distillgov.registry.clock import SystemClock
    from distillgov.registry.db import Database
    from distillgov.registry.errors import RegistryError
    from distillgov.registry.migrate import current_revision, head_revision
    from distillgov.registry.service.context import SYSTEM, Context

    database = Database(_url(db))
    try:
        if current_revision(database) != head_revision():
            typer.echo("the database is not migrated: run `distillgov registry init-db` first", err=True)
            raise typer.Exit(2)
        with database.write() as session:
            yield Context(session, SYSTEM, SystemClock(), LawEngineClassifier())
    except RegistryError as exc:
        typer.echo(f"{exc.title}: {exc.detail}", err=True)
        for problem in exc.problems:
            typer.echo(f"  {problem.field}: {problem.message}", err=True)
        raise typer.Exit(1) from None
    finally:
        database.dispose()


def _print(value: dict[str, Any]) -> None:
    typer.echo(json.dumps(value, default=str))


@admin_app.command("create-org")
def create_org(
    name: str = typer.Argument(...), db: str | None = typer.Option(None, "--db", help=DB_HELP)
) -> None:
    """Register an organization."""
    from distillgov.registry.service import directory

    with _admin(db) as ctx:
        org = directory.create_organization(ctx, name)
        _print({"id": org.id, "name": org.name, "log_index": org.log_index})


@admin_app.command("create-user")
def create_user(
    name: str = typer.Argument(...),
    org: int = typer.Option(..., "--org", help="Organization id."),
    role: RoleChoice = typer.Option(..., "--role"),
    db: str | None = typer.Option(None, "--db", help=DB_HELP),
) -> None:
    """Create a user of an organization with one role."""
    from distillgov.registry.models import Role
    from distillgov.registry.service import directory

    with _admin(db) as ctx:
        user = directory.create_user(ctx, org, name, Role(role.value))
        _print(
            {
                "id": user.id,
                "organization_id": user.organization_id,
                "role": user.role,
                "log_index": user.log_index,
            }
        )


@admin_app.command("token")
def token(
    user: int = typer.Argument(..., help="User id."),
    label: str = typer.Option("cli", "--label"),
    db: str | None = typer.Option(None, "--db", help=DB_HELP),
) -> None:
    """Issue an API token; it is printed once (the registry keeps only its sha256)."""
    from distillgov.registry.service import directory

    with _admin(db) as ctx:
        issued, secret = directory.issue_token(ctx, user, label)
        _print({"id": issued.id, "user_id": user, "token": secret})


@admin_app.command("revoke-token")
def revoke_token(
    token_id: int = typer.Argument(...), db: str | None = typer.Option(None, "--db", help=DB_HELP)
) -> None:
    """Revoke an API token."""
    from distillgov.registry.service import directory

    with _admin(db) as ctx:
        revoked = directory.revoke_token(ctx, token_id)
        _print({"id": revoked.id, "revoked_at": revoked.revoked_at})


@admin_app.command("list")
def list_directory(db: str | None = typer.Option(None, "--db", help=DB_HELP)) -> None:
    """Organizations and their users, one JSON object per line."""
    from distillgov.registry.service import directory

    with _admin(db) as ctx:
        for org in directory.list_organizations(ctx):
            users = [{"id": u.id, "name": u.name, "role": u.role} for u in directory.list_users(ctx, org.id)]
            _print({"id": org.id, "name": org.name, "users": users})


@admin_app.command("sweep")
def sweep(db: str | None = typer.Option(None, "--db", help=DB_HELP)) -> None:
    """Decide today's defaults, cures, terminations, expiries and safe-harbor lapses (run daily)."""
    from distillgov.registry.service import compliance

    with _admin(db) as ctx:
        _print(compliance.sweep(ctx))
