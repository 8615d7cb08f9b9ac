"""Running the app in-process for tests: lifespan started, httpx client over ASGI."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import httpx

from hooks.web.app import create_app

FIXED_NOW = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def sequential_uuid_factory() -> Callable[[], str]:
    counter = iter(range(1, 1_000_000))
    return lambda: f"00000000-0000-4000-8000-{next(counter):012d}"


@asynccontextmanager
async def app_client(**create_app_kwargs: Any) -> AsyncIterator[httpx.AsyncClient]:
    """``create_app(**kwargs)`` with its lifespan running, behind an ``httpx.AsyncClient``."""
    create_app_kwargs.setdefault("clock", lambda: FIXED_NOW)
    app = create_app(**create_app_kwargs)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            yield c


def without_narrative(body: dict[str, Any]) -> dict[str, Any]:
    """The response less the generated narrative (``text``, ``note``) of the Observations in
    the stage suggestion: wording owned and tested by ``hooks.fhir.emit`` (tests/fhir), kept
    out of these files so that a rewording there does not churn every golden file. Codes,
    values, references and statuses of the Observations stay compared."""
    for card in body.get("cards", []):
        for suggestion in card.get("suggestions", []):
            for action in suggestion.get("actions", []):
                resource = action.get("resource", {})
                resource.pop("text", None)
                resource.pop("note", None)
    return body
