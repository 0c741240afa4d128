"""Who is looking at a page, and what a page does when its policy refuses them.

Pages declare the same `Policy` objects as the API's routes (so the route-policy test sees them),
but a browser is identified by its session cookie rather than a bearer header, and a refusal is a
page a person can act on: a redirect to the login page, or an HTML error page with the reason.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse
from fastapi.routing import APIRoute
from fastapi.templating import Jinja2Templates

from distillgov.registry.actors import Actor, authenticate_digest
from distillgov.registry.api.auth import Policy
from distillgov.registry.api.state import app_state
from distillgov.registry.errors import ForbiddenError, NotAuthenticatedError, RegistryError
from distillgov.registry.models import Organization, User
from distillgov.registry.tlog.note import Signer
from distillgov.registry.web.sessions import SESSION_COOKIE, Session, SessionKeys

TEMPLATES = Jinja2Templates(directory=Path(__file__).parent / "templates")
ZERO_DECIMAL_CURRENCIES = frozenset({"BIF", "CLP", "JPY", "KRW", "PYG", "RWF", "UGX", "VND", "XAF", "XOF"})
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def money(minor: int, currency: str) -> str:
    """Integer minor units as the amount a person reads (`61,728` USD cents: `617.28 USD`)."""
    places = 0 if currency in ZERO_DECIMAL_CURRENCIES else 2
    sign, value = ("-" if minor < 0 else ""), abs(minor)
    whole, cents = divmod(value, 10**places) if places else (value, 0)
    fraction = f".{cents:0{places}d}" if places else ""
    return f"{sign}{whole:,}{fraction} {currency}"


TEMPLATES.env.filters["money"] = money


@dataclass(frozen=True)
class Viewer:
    """The person behind the browser: signed in (actor, names, session) or the public."""

    actor: Actor | None
    session: Session | None
    user_name: str | None = None
    organization_name: str | None = None


class LoginRequiredError(Exception):
    """The page needs a signed-in user: the browser is sent to the login page, then back."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


@lru_cache(maxsize=8)
def session_keys(signer: Signer) -> SessionKeys:
    return SessionKeys(signer)


def keys(request: Request) -> SessionKeys:
    return session_keys(app_state(request).signer)


def current_viewer(request: Request) -> Viewer:
    """The viewer a session cookie names; a forged, expired or revoked session is the public."""
    state = app_state(request)
    now = state.clock.now()
    session = keys(request).open(request.cookies.get(SESSION_COOKIE), now)
    if session is None:
        return Viewer(None, None)
    with state.db.read() as db:
        try:
            actor = authenticate_digest(db, session.token_sha256, now)
        except NotAuthenticatedError:
            return Viewer(None, None)
        user = db.get(User, actor.user_id)
        organization = db.get(Organization, actor.organization_id)
        return Viewer(
            actor,
            session,
            user.name if user else None,
            organization.name if organization else None,
        )


_DEPENDENCIES: dict[Policy, Callable[[Request], Viewer]] = {}


def page(policy: Policy) -> Callable[[Request], Viewer]:
    """The dependency that enforces `policy` on a page (one per policy, like the API's)."""
    if policy in _DEPENDENCIES:
        return _DEPENDENCIES[policy]

    def view(request: Request) -> Viewer:
        viewer = current_viewer(request)
        if policy.roles is None:
            return viewer
        if viewer.actor is None:
            raise LoginRequiredError(request.url.path)
        if viewer.actor.role not in policy.roles:
            allowed = ", ".join(sorted(r.value for r in policy.roles))
            raise ForbiddenError(
                f"this page is for the roles {allowed}; you are signed in as {viewer.actor.role}"
            )
        return viewer

    view.policy = policy  # type: ignore[attr-defined]
    _DEPENDENCIES[policy] = view
    return view


def render(
    request: Request, viewer: Viewer, template: str, status_code: int = 200, **context: Any
) -> Response:
    csrf = keys(request).csrf_token(viewer.session.nonce) if viewer.session else None
    response = TEMPLATES.TemplateResponse(
        request, template, {"viewer": viewer, "csrf": csrf, **context}, status_code=status_code
    )
    if viewer.session is not None:
        response.headers["Cache-Control"] = "no-store"  # a party's view must not be cached for the next user
    return response


def error_page(request: Request, status: int, title: str, detail: str, problems: Any = ()) -> Response:
    return render(
        request,
        current_viewer(request),
        "error.html",
        status_code=status,
        title=title,
        detail=detail,
        problems=list(problems),
    )


class PageRoute(APIRoute):
    """An API route that answers in HTML: refusals and errors become pages, every page gets the
    security headers (no scripts, no framing, forms posting only to this origin)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def page_handler(request: Request) -> Response:
            try:
                response = await handler(request)
            except LoginRequiredError as exc:
                response = RedirectResponse(f"/login?next={quote(exc.next_path)}", status_code=303)
            except RegistryError as exc:
                response = error_page(request, exc.status, exc.title, exc.detail, exc.problems)
            except RequestValidationError as exc:
                detail = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
                response = error_page(request, 422, "The request is not valid", detail)
            response.headers.update(SECURITY_HEADERS)
            return response

        return page_handler
