"""The SMART on FHIR staging worksheet (SMART App Launch 2.0), served by the same service.

``install(app, settings, ...)`` adds its routes under ``/smart`` (``hooks.smart.flow`` for the
launch, ``hooks.smart.pages`` for the worksheet) and its static files.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from hooks.smart.context import SmartContext, client_secret, launch_url
from hooks.smart.render import HERE
from hooks.smart.session import SessionStore
from hooks.web.settings import Settings

__all__ = ["install", "launch_url"]


def install(
    app: FastAPI,
    cfg: Settings,
    *,
    clock: Callable[[], datetime],
    new_id: Callable[[], str],
    sessions: SessionStore | None = None,
) -> None:
    """Add the worksheet to ``app``: routes, static files, the session store."""
    from hooks.smart import flow, pages  # noqa: PLC0415 - after hooks.api (they import it)

    store = sessions or SessionStore(cfg.smart_session_ttl)
    app.state.smart_sessions = store
    app.state.smart = SmartContext(cfg, store, clock, new_id, client_secret(cfg))
    app.mount("/smart/static", StaticFiles(directory=HERE / "static"), name="smart-static")
    app.include_router(flow.router)
    app.include_router(pages.router)
