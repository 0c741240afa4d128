"""The pages: public look-up, login/logout, the notice form, a notice, a license with its ledger.

Reads go through the same service functions as the API's GET routes, under the viewer's identity,
so a page shows exactly what the API would show that person; writes go through `run_write`, so a
form's submission is one idempotent, sequenced, logged write like an API call (its idempotency key
is a hidden field issued with the form: a double submission files one notice).
"""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Form, Query, Request, Response
from fastapi.responses import RedirectResponse

from distillgov.registry import translog
from distillgov.registry.actors import authenticate, token_sha256
from distillgov.registry.api import auth
from distillgov.registry.api.idempotency import run_write
from distillgov.registry.api.params import RecordId
from distillgov.registry.api.state import app_state
from distillgov.registry.api.views import license_out, notice_out
from distillgov.registry.errors import (
    ForbiddenError,
    NotAuthenticatedError,
    NotFoundError,
    RegistryError,
)
from distillgov.registry.models import Organization, Role
from distillgov.registry.schemas import Purpose
from distillgov.registry.service import ledger, licenses, notices, protected_models, provenance
from distillgov.registry.web import forms
from distillgov.registry.web.access import PageRoute, Viewer, keys, page, render
from distillgov.registry.web.sessions import LOGIN_COOKIE, SESSION_COOKIE, SESSION_LIFETIME, new_nonce

router = APIRouter(route_class=PageRoute, include_in_schema=False, tags=["pages"])

PUBLIC_PAGE = auth.Policy(None, "anyone; a signed-in party also sees the details the API shows it")
DISTILLER_PAGE = auth.roles(Role.distiller, scope="notices of the signed-in distiller's organization")
DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")
STYLESHEET = Path(__file__).parent / "static" / "registry.css"

Public = Annotated[Viewer, Depends(page(PUBLIC_PAGE))]
Distiller = Annotated[Viewer, Depends(page(DISTILLER_PAGE))]


@router.get("/", openapi_extra=PUBLIC_PAGE.openapi())
def lookup(request: Request, viewer: Public, q: Annotated[str, Query(max_length=200)] = "") -> Response:
    """Look a model up by weights digest or exact name: protected status, notices, licenses, ML-BOM."""
    query = q.strip()
    if not query:
        return render(request, viewer, "lookup.html", q="", searched=False)
    digest = query if DIGEST.match(query) else None
    name = None if digest else query
    with app_state(request).reading(viewer.actor) as ctx:
        models = protected_models.lookup(ctx.session.connection(), name=name, digest=digest, limit=50)
        lineages = provenance.lookup(ctx, digest=digest, name=name, limit=50)
    return render(
        request, viewer, "lookup.html", q=query, searched=True, by="digest" if digest else "name",
        models=models, lineages=lineages,
    )  # fmt: skip


@router.get("/notices/new", openapi_extra=DISTILLER_PAGE.openapi())
def notice_form(request: Request, viewer: Distiller) -> Response:
    return _form_page(request, viewer, forms.empty_form(), uuid.uuid4().hex)


@router.post("/notices/new", openapi_extra=DISTILLER_PAGE.openapi())
def file_notice(
    request: Request,
    viewer: Distiller,
    csrf: Annotated[str, Form()] = "",
    idempotency_key: Annotated[str, Form(max_length=255)] = "",
    teacher_model_id: Annotated[str, Form(max_length=20)] = "",
    purpose: Annotated[str, Form(max_length=100)] = "",
    commercial: Annotated[str, Form(max_length=10)] = "",
    expected_volume: Annotated[str, Form(max_length=20)] = "",
    student_name: Annotated[str, Form(max_length=500)] = "",
    student_digest: Annotated[str, Form(max_length=200)] = "",
    facts: Annotated[str, Form(max_length=64_000)] = "",
) -> Response:
    """File the notice through the API's write path; a refusal shows the form again with its errors."""
    _check_csrf(request, viewer, csrf)
    submitted = {
        "teacher_model_id": teacher_model_id, "purpose": purpose, "commercial": commercial,
        "expected_volume": expected_volume, "student_name": student_name, "student_digest": student_digest,
        "facts": facts,
    }  # fmt: skip
    form, body = forms.parse(submitted)
    key = idempotency_key or uuid.uuid4().hex
    if body is None:
        return _form_page(request, viewer, form, key, status_code=422)
    assert viewer.actor is not None
    try:
        answer = run_write(
            request, viewer.actor, body, lambda ctx: notice_out(ctx, notices.file(ctx, body)), key=key
        )
    except RegistryError as exc:
        form.summary.append(exc.detail)
        form.refuse(exc.problems)
        return _form_page(request, viewer, form, key, status_code=exc.status)
    notice_id = json.loads(bytes(answer.body))["result"]["id"]
    return RedirectResponse(f"/notices/{notice_id}", status_code=303)


def _form_page(
    request: Request, viewer: Viewer, form: forms.NoticeForm, key: str, status_code: int = 200
) -> Response:
    with app_state(request).reading(viewer.actor) as ctx:
        teachers = [
            {"id": m["id"], "name": m["name"], "owner": m["owner"]["name"]}
            for m in protected_models.lookup(ctx.session.connection(), name=None, digest=None, limit=500)
        ]
    return render(
        request, viewer, "notice_form.html", status_code=status_code, form=form, key=key,
        teachers=teachers, purposes=[p.value for p in Purpose],
    )  # fmt: skip


@router.get("/notices/{notice_id}", openapi_extra=PUBLIC_PAGE.openapi())
def notice_page(request: Request, viewer: Public, notice_id: RecordId) -> Response:
    """A notice and its classification; parties see the facts, uncertain points and justification."""
    with app_state(request).reading(viewer.actor) as ctx:
        found = notices.get(ctx, notice_id)
        notice = notice_out(ctx, found).model_dump(mode="json")
        lineage = provenance.lineage(ctx, found)
    return render(request, viewer, "notice.html", notice=notice, lineage=lineage)


@router.get("/licenses/{license_id}", openapi_extra=PUBLIC_PAGE.openapi())
def license_page(request: Request, viewer: Public, license_id: RecordId) -> Response:
    """A license, its status history (default, cure, termination) and, for its parties, its ledger."""
    with app_state(request).reading(viewer.actor) as ctx:
        lic = licenses.get(ctx, license_id)
        view = license_out(lic).model_dump(mode="json")
        # Reports and payments are logged under the license too; they appear in the ledger below.
        history = [e for e in translog.history(ctx.session, licenses.subject(lic)) if e["kind"] == "license"]
        organization = ctx.session.get(Organization, lic.licensee_org_id)
        licensee = organization.name if organization else f"organization {lic.licensee_org_id}"
        try:
            book: dict[str, Any] | None = ledger.ledger_view(ctx, lic)
            hidden = None
        except (NotAuthenticatedError, ForbiddenError, NotFoundError) as exc:
            book, hidden = None, exc.detail
        teacher = lic.notice.teacher.name
    return render(
        request, viewer, "license.html", license=view, history=history, ledger=book, ledger_hidden=hidden,
        licensee=licensee, teacher=teacher,
    )  # fmt: skip


@router.get("/login", openapi_extra=PUBLIC_PAGE.openapi())
def login_form(request: Request, viewer: Public, next: str = "/") -> Response:
    nonce = request.cookies.get(LOGIN_COOKIE) or new_nonce()
    response = render(
        request,
        viewer,
        "login.html",
        login_csrf=keys(request).csrf_token(nonce),
        next=_local(next),
        error=None,
    )
    _set_cookie(request, response, LOGIN_COOKIE, nonce, max_age=3600)
    return response


@router.post("/login", openapi_extra=PUBLIC_PAGE.openapi())
def login(
    request: Request,
    viewer: Public,
    token: Annotated[str, Form(max_length=200)] = "",
    csrf: Annotated[str, Form(max_length=200)] = "",
    next: Annotated[str, Form(max_length=500)] = "/",
) -> Response:
    """Exchange an API token for a session cookie (HttpOnly, SameSite=Strict); the token is not kept."""
    if not keys(request).csrf_ok(request.cookies.get(LOGIN_COOKIE), csrf):
        raise ForbiddenError("the login form expired or came from another site; reload the login page")
    state = app_state(request)
    try:
        with state.db.read() as db:
            authenticate(db, token.strip(), state.clock.now())
    except NotAuthenticatedError as exc:
        nonce = request.cookies.get(LOGIN_COOKIE) or new_nonce()
        return render(
            request, viewer, "login.html", status_code=401, login_csrf=keys(request).csrf_token(nonce),
            next=_local(next), error=exc.detail,
        )  # fmt: skip
    _session, cookie = keys(request).issue(token_sha256(token.strip()), state.clock.now())
    response = RedirectResponse(_local(next), status_code=303)
    _set_cookie(request, response, SESSION_COOKIE, cookie, max_age=int(SESSION_LIFETIME.total_seconds()))
    response.delete_cookie(LOGIN_COOKIE, path="/")
    return response


@router.post("/logout", openapi_extra=PUBLIC_PAGE.openapi())
def logout(request: Request, viewer: Public, csrf: Annotated[str, Form(max_length=200)] = "") -> Response:
    _check_csrf(request, viewer, csrf)
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/static/registry.css", openapi_extra=PUBLIC_PAGE.openapi())
def stylesheet(viewer: Public) -> Response:
    return Response(
        STYLESHEET.read_bytes(), media_type="text/css", headers={"Cache-Control": "public, max-age=3600"}
    )


def _check_csrf(request: Request, viewer: Viewer, submitted: str) -> None:
    if viewer.session is None or not keys(request).csrf_ok(viewer.session.nonce, submitted):
        raise ForbiddenError("the form's CSRF token is missing or wrong; reload the page and submit again")


def _local(target: str) -> str:
    """Only a path on this site: a login link must not bounce the browser to another origin."""
    parts = urlsplit(target)
    if (
        parts.scheme
        or parts.netloc
        or not target.startswith("/")
        or target.startswith("//")
        or "\\" in target
    ):
        return "/"
    return target


def _set_cookie(request: Request, response: Response, name: str, value: str, max_age: int) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path="/",
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
