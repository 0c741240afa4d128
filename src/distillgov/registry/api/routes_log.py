"""The transparency log, served as C2SP tlog-tiles under /log/ so existing verifiers can read it.

The checkpoint is signed on read: Ed25519 signatures are deterministic, so every reader of a tree
size gets byte-identical checkpoints, no write pays for a signature, and a process caches the
signed note per size. Full tiles never change and are served as immutable (a CDN or a static bucket
can hold them); partial tiles and the checkpoint are short-lived.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request, Response

from distillgov.registry import translog
from distillgov.registry.actors import Actor
from distillgov.registry.api import auth
from distillgov.registry.api.params import LogIndex
from distillgov.registry.api.responses import LogEntryOut
from distillgov.registry.api.state import AppState, app_state
from distillgov.registry.errors import NotFoundError
from distillgov.registry.models import LogEntry
from distillgov.registry.tlog.tiles import TilePathError, parse_tile_path

router = APIRouter(tags=["transparency log"])
IMMUTABLE = "public, max-age=31536000, immutable"
SHORT = "public, max-age=2"
TEXT = "text/plain; charset=utf-8"


def current_checkpoint(state: AppState) -> tuple[int, str]:
    with state.db.read() as session:
        size = translog.tree_size(session)
        with state.checkpoint_lock:
            cached = state.signed_checkpoints.get(size)
        if cached is None:
            size, cached = translog.signed_checkpoint(session, state.signer)
            with state.checkpoint_lock:
                state.signed_checkpoints.clear()
                state.signed_checkpoints[size] = cached
    return size, cached


@router.get("/log/checkpoint", response_class=Response, openapi_extra=auth.PUBLIC.openapi())
def checkpoint(request: Request, actor: Actor | None = Depends(auth.PUBLIC.dependency)) -> Response:
    """The latest tree head as a C2SP signed note (tlog-checkpoint)."""
    _size, note = current_checkpoint(app_state(request))
    return Response(note, media_type=TEXT, headers={"Cache-Control": "no-cache"})


@router.get("/log/vkey", response_class=Response, openapi_extra=auth.PUBLIC.openapi())
def vkey(request: Request, actor: Actor | None = Depends(auth.PUBLIC.dependency)) -> Response:
    """The log's verifier key in the note verifier-key format (<name>+<id>+<key>)."""
    return Response(app_state(request).signer.verifier.text + "\n", media_type=TEXT)


@router.get("/log/tile/{tile_path:path}", response_class=Response, openapi_extra=auth.PUBLIC.openapi())
def tile(request: Request, tile_path: str, actor: Actor | None = Depends(auth.PUBLIC.dependency)) -> Response:
    """A hash tile `tile/<L>/<N>[.p/<W>]` or an entry bundle `tile/entries/<N>[.p/<W>]`."""
    try:
        wanted = parse_tile_path(f"tile/{tile_path}")
    except TilePathError as exc:
        raise NotFoundError(str(exc)) from None
    state = app_state(request)
    with state.db.read() as session:
        if not translog.tile_available(wanted, translog.tree_size(session)):
            raise NotFoundError(f"{wanted.path} is beyond the current tree")
        data = translog.tile_data(session, wanted)
    cache = IMMUTABLE if wanted.is_full else SHORT
    return Response(data, media_type="application/octet-stream", headers={"Cache-Control": cache})


@router.get("/v1/log/entries/{index}", response_model=LogEntryOut, openapi_extra=auth.PUBLIC.openapi())
def entry(
    request: Request, index: LogIndex, actor: Actor | None = Depends(auth.PUBLIC.dependency)
) -> LogEntryOut:
    """One entry with its kind and subject (the same bytes the entry bundles carry)."""
    with app_state(request).reading(actor) as ctx:
        row = ctx.session.get(LogEntry, index)
        if row is None:
            raise NotFoundError(f"log entry {index} does not exist")
        return LogEntryOut(
            index=row.idx,
            kind=row.kind,
            subject=row.subject,
            recorded_at=row.recorded_at,
            entry=row.data.decode(),
        )
