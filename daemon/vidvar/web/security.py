"""Who may use the web page and API, and what a browser may do with it.

- On 127.0.0.1 without a password, the page is open to this machine only.
- Anywhere else a password is required (stored as a scrypt hash); people sign in
  and get a signed, HttpOnly session cookie; scripts send an API token
  (`Authorization: Bearer …`, stored as its SHA-256).
- Every state-changing request must come from the page itself: a foreign Origin
  (or Sec-Fetch-Site) is refused, and a signed-in browser must echo its session's
  CSRF token in `X-CSRF-Token`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from itsdangerous import BadSignature, URLSafeTimedSerializer

SESSION_COOKIE = "vidvar_session"
SESSION_SECONDS = 7 * 86400
SCRYPT = {"n": 2**14, "r": 8, "p": 1}
LOCAL_HOSTS = ("127.0.0.1", "::1", "localhost")

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; script-src 'self'; "
        "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
}


def hash_password(password: str) -> str:
    """`scrypt$n$r$p$salt$hash` for web.password_hash."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, dklen=32, **SCRYPT)
    b64 = base64.urlsafe_b64encode
    return (
        f"scrypt${SCRYPT['n']}${SCRYPT['r']}${SCRYPT['p']}$"
        f"{b64(salt).decode()}${b64(digest).decode()}"
    )


def check_password(password: str, stored: str) -> bool:
    """True when `password` matches a hash made by hash_password."""
    try:
        _kind, n, r, p, salt, digest = stored.split("$")
        expected = base64.urlsafe_b64decode(digest)
        actual = hashlib.scrypt(
            password.encode("utf-8"),
            salt=base64.urlsafe_b64decode(salt),
            n=int(n),
            r=int(r),
            p=int(p),
            dklen=len(expected),
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, expected)


def new_token() -> tuple[str, str]:
    """(token for the script, its hash for web.api_tokens)."""
    token = secrets.token_urlsafe(32)
    return token, token_hash(token)


def token_hash(token: str) -> str:
    """The SHA-256 of an API token, as web.api_tokens lists it."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Session:
    """A signed-in browser: its CSRF token."""

    csrf: str


class Sessions:
    """Signed session cookies (itsdangerous); a restart with a new key signs everyone out."""

    def __init__(self, key: str) -> None:
        self._serializer = URLSafeTimedSerializer(key, salt="vidvar-session")

    def issue(self) -> tuple[str, Session]:
        session = Session(csrf=secrets.token_urlsafe(24))
        return self._serializer.dumps({"csrf": session.csrf}), session

    def read(self, cookie: str | None) -> Session | None:
        if not cookie:
            return None
        try:
            data = self._serializer.loads(cookie, max_age=SESSION_SECONDS)
        except BadSignature:
            return None
        csrf = data.get("csrf") if isinstance(data, dict) else None
        return Session(csrf=csrf) if isinstance(csrf, str) else None


def same_origin(origin: str | None, fetch_site: str | None, host: str | None) -> bool:
    """False for a request a browser sent from another site (CSRF): its Origin names
    another host, or Sec-Fetch-Site says cross-site. Tools like curl send neither."""
    if origin and origin != "null":
        return origin.split("://", 1)[-1].rstrip("/") == (host or "")
    if origin == "null":
        return False
    return fetch_site in (None, "same-origin", "none")


def token_matches(presented: str, hashes: tuple[str, ...]) -> bool:
    """True when the presented API token is one of the configured ones."""
    digest = token_hash(presented)
    return any(hmac.compare_digest(digest, h) for h in hashes)
