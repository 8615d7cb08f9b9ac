"""Server-side sessions of the SMART worksheet: the access token stays here, never in the
browser.

The browser holds only a random session id (256 bits, ``secrets.token_urlsafe``) in a cookie
that is HttpOnly, SameSite=Lax and Secure (except on plain-http localhost, for development and
the tests). A session expires ``ttl`` seconds after it was created, and never outlives the
access token it holds. Every write carries the session's CSRF token (a second random value,
compared in constant time). Sessions live in this process's memory: a restart signs every
clinician out, and several workers need sticky sessions (SECURITY.md).
"""

from __future__ import annotations

import hmac
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

COOKIE = "sarcoma_cds_session"
#: Most sessions kept at once; the oldest are dropped beyond it (bounded memory).
MAX_SESSIONS = 10_000


@dataclass(slots=True)
class PendingLaunch:
    """What the app remembers between sending the browser to ``authorize`` and the callback."""

    state: str
    verifier: str  # PKCE code_verifier (RFC 7636), never sent to the browser
    iss: str
    token_endpoint: str
    redirect_uri: str
    created: float


@dataclass(slots=True)
class Session:
    """One clinician's worksheet: FHIR base, patient, token and what was granted."""

    id: str
    csrf: str
    expires: float
    iss: str = ""
    patient: str = ""
    access_token: str = field(default="", repr=False)
    scopes: frozenset[str] = frozenset()
    fhir_user: str = ""  # e.g. "Practitioner/123" (from the id_token or the token response)
    condition: str = ""  # "Condition/<id>" named by the card's appContext, if any
    open_server: bool = False  # an open FHIR server (demo mode): no token
    pending: PendingLaunch | None = field(default=None, repr=False)
    extra: dict[str, Any] = field(default_factory=dict)

    def can_write(self) -> bool:
        """The token allows creating Observations for the patient (SMART v2 ``.c``)."""
        if self.open_server:
            return True
        return any(_grants_create(scope) for scope in self.scopes)


def _grants_create(scope: str) -> bool:
    """``patient/Observation.c`` (or ``.cruds``, v1 ``.write``/``.*``) grants creating."""
    context, _, rest = scope.partition("/")
    resource, _, permissions = rest.partition(".")
    if context not in {"patient", "user"} or resource not in {"Observation", "*"}:
        return False
    if permissions in {"write", "*"}:
        return True
    return permissions.isalpha() and "c" in permissions and set(permissions) <= set("cruds")


class SessionStore:
    """Sessions by id, with expiry; safe to use from several threads."""

    def __init__(self, ttl: float, clock: Callable[[], float] = time.time) -> None:
        self.ttl = ttl
        self._clock = clock
        self._sessions: OrderedDict[str, Session] = OrderedDict()
        self._lock = threading.Lock()

    def now(self) -> float:
        return self._clock()

    def create(self) -> Session:
        session = Session(
            id=secrets.token_urlsafe(32),
            csrf=secrets.token_urlsafe(32),
            expires=self._clock() + self.ttl,
        )
        with self._lock:
            self._sessions[session.id] = session
            while len(self._sessions) > MAX_SESSIONS:
                self._sessions.popitem(last=False)
        return session

    def get(self, session_id: str | None) -> Session | None:
        """The live session with this id; an expired one is removed and None returned."""
        if not session_id:
            return None
        with self._lock:
            session = self._sessions.get(session_id)
            if session is None:
                return None
            if session.expires <= self._clock():
                del self._sessions[session_id]
                return None
            return session

    def limit_to(self, session: Session, seconds: float | None) -> None:
        """Never keep a session longer than its access token lives (``expires_in``)."""
        if seconds is not None and seconds > 0:
            session.expires = min(session.expires, self._clock() + seconds)

    def drop(self, session_id: str) -> None:
        with self._lock:
            self._sessions.pop(session_id, None)


def csrf_ok(session: Session, presented: str | None) -> bool:
    """The CSRF token sent with a write equals the session's (constant-time comparison)."""
    return bool(presented) and hmac.compare_digest(session.csrf, presented or "")


def cookie_secure(base_url: str) -> bool:
    """Secure cookies everywhere except plain-http localhost (development and tests)."""
    host = base_url.split("://", 1)[-1].split("/", 1)[0].rsplit(":", 1)[0]
    return not (base_url.startswith("http://") and host in {"localhost", "127.0.0.1", "[::1]"})
