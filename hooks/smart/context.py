"""What the worksheet's routes share: settings, the session store, the clock, id source, and
the helpers for cookies and the "session ended" page. Kept on ``app.state.smart``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import httpx
from fastapi import Request
from fastapi.responses import Response

from hooks.smart.render import message, with_headers
from hooks.smart.session import COOKIE, Session, SessionStore, cookie_secure
from hooks.web.settings import Settings

HTTP_TIMEOUT = httpx.Timeout(10.0)


def http_client() -> httpx.AsyncClient:
    """For one request's calls to the EHR: no redirects followed, no proxy settings read."""
    return httpx.AsyncClient(timeout=HTTP_TIMEOUT, follow_redirects=False, trust_env=False)


@dataclass(frozen=True, slots=True)
class SmartContext:
    cfg: Settings
    sessions: SessionStore
    clock: Callable[[], datetime]
    new_id: Callable[[], str]
    client_secret: str | None

    def base_url(self, request: Request) -> str:
        return self.cfg.public_base_url or str(request.base_url).rstrip("/")

    def set_cookie(self, request: Request, response: Response, session: Session) -> Response:
        response.set_cookie(
            COOKIE,
            session.id,
            max_age=int(self.cfg.smart_session_ttl),
            httponly=True,
            secure=cookie_secure(self.base_url(request)),
            samesite="lax",
            path="/",
        )
        return with_headers(response)

    def current(self, request: Request) -> Session | None:
        return self.sessions.get(request.cookies.get(COOKIE))

    def effective(self) -> str:
        return self.clock().isoformat(timespec="seconds").replace("+00:00", "Z")


def of(request: Request) -> SmartContext:
    context: SmartContext = request.app.state.smart
    return context


def ended(request: Request) -> Response:
    return message(
        request,
        401,
        "Your worksheet session has ended",
        "For your patient's privacy the worksheet signs out after a while. Open it again "
        "from the EHR (the stage card's link) to continue.",
    )


def launch_url(cfg: Settings) -> str | None:
    """The worksheet's launch URL for the stage card's SMART link (needs the public base URL)."""
    return f"{cfg.public_base_url}/smart/launch" if cfg.public_base_url else None


def client_secret(cfg: Settings) -> str | None:
    if not cfg.smart_client_secret_file:
        return None
    with open(cfg.smart_client_secret_file, encoding="utf-8") as handle:
        return handle.read().strip() or None
