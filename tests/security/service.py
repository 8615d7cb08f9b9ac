"""The real app (``hooks.web.app.create_app``) in-process with authentication on."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx

from hooks.auth import AuthConfig, Authenticator
from hooks.auth.issuers import TrustedIssuer
from hooks.store.replay import SqliteReplayStore
from hooks.web.app import create_app
from hooks.web.settings import Settings
from tests.security.tokens import PUBLIC_BASE
from tests.service.conftest import hook_request as service_hook_request


def auth_settings(tmp_path: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "auth": True,
        "public_base_url": PUBLIC_BASE,
        "db": tmp_path / "var" / "sarcoma-cds.sqlite3",
        "fhir_timeout": 0.5,
        "fhir_deadline": 1.0,
    }
    values.update(overrides)
    return Settings(**values)


@asynccontextmanager
async def authenticated_service(
    settings: Settings,
    issuers: dict[str, TrustedIssuer],
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    jwks_http: httpx.AsyncClient | None = None,
    **create_app_kwargs: Any,
) -> AsyncIterator[httpx.AsyncClient]:
    """The app with a real ``Authenticator``, lifespan running, reached at an internal address."""
    config = AuthConfig.from_settings(settings, {"SARCOMA_CDS_TRUSTED_ISSUERS": "(injected)"})
    store = SqliteReplayStore(settings.db)
    async with httpx.AsyncClient() as own_http:
        authenticator = Authenticator(
            config, issuers=issuers, replay_store=store, http=jwks_http or own_http
        )
        app = create_app(
            settings, authenticator=authenticator, transport=transport, **create_app_kwargs
        )
        async with app.router.lifespan_context(app):
            asgi = httpx.ASGITransport(app=app, raise_app_exceptions=False)
            async with httpx.AsyncClient(transport=asgi, base_url="http://127.0.0.1:8080") as c:
                yield c
    store.close()


def hook_request(patient: str = "p1", **overrides: Any) -> dict[str, Any]:
    """patient-view with every prefetch key answered (the patient, empty searchsets)."""
    return service_hook_request(patient, **overrides)
