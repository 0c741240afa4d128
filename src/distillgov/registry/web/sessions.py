"""Browser sessions and CSRF tokens, signed with a key derived from the log's signer key.

A session cookie names the API token by its sha256 (never the token itself), so the registry keeps
no session table: any API process behind the load balancer can check a cookie, a revoked token ends
its sessions at once, and a stolen cookie expires with the session. The HMAC key is derived with
HKDF from the signer key every process already holds, under a label of its own, so session signing
and log signing never share key material.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from distillgov.registry.tlog.note import Signer

SESSION_COOKIE = "dgr_session"
LOGIN_COOKIE = "dgr_login"
SESSION_LIFETIME = timedelta(hours=8)
HKDF_INFO = b"distillgov registry web session v1"


@dataclass(frozen=True)
class Session:
    """A signed-in browser: the token it logged in with (by sha256), its CSRF nonce, its expiry."""

    token_sha256: str
    nonce: str
    expires: datetime


class SessionKeys:
    """Signs and checks session cookies and CSRF tokens."""

    def __init__(self, signer: Signer) -> None:
        self._key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=HKDF_INFO).derive(signer.seed)

    def _mac(self, label: str, payload: bytes) -> str:
        return hmac.new(self._key, label.encode() + b"\x00" + payload, hashlib.sha256).hexdigest()

    def issue(self, token_sha256: str, now: datetime) -> tuple[Session, str]:
        """A new session and its cookie value."""
        session = Session(token_sha256, secrets.token_hex(16), now + SESSION_LIFETIME)
        payload = json.dumps(
            {"t": session.token_sha256, "n": session.nonce, "e": int(session.expires.timestamp())},
            separators=(",", ":"),
        ).encode()
        encoded = base64.urlsafe_b64encode(payload).decode().rstrip("=")
        return session, f"{encoded}.{self._mac('session', payload)}"

    def open(self, cookie: str | None, now: datetime) -> Session | None:
        """The session a cookie carries, or None when it is absent, forged, malformed or expired."""
        if not cookie or cookie.count(".") != 1:
            return None
        encoded, mac = cookie.split(".")
        try:
            payload = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
        except ValueError:
            return None
        if not hmac.compare_digest(mac, self._mac("session", payload)):
            return None
        fields = json.loads(payload)
        expires = datetime.fromtimestamp(fields["e"], tz=now.tzinfo)
        if expires <= now:
            return None
        return Session(fields["t"], fields["n"], expires)

    def csrf_token(self, nonce: str) -> str:
        """The token a form must echo: bound to the session's (or the login page's) nonce."""
        return self._mac("csrf", nonce.encode())

    def csrf_ok(self, nonce: str | None, submitted: str | None) -> bool:
        return bool(nonce and submitted) and hmac.compare_digest(
            self.csrf_token(nonce or ""), submitted or ""
        )


def new_nonce() -> str:
    return secrets.token_hex(16)
