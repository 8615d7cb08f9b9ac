"""Fixtures for the CDS Hooks service tests: settings on a temporary database, app clients."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any

import httpx
import pytest

from hooks.settings import Settings
from tests.service.harness import app_client
from tests.service.reports import fake_pipeline

SANDBOX_ORIGIN = "https://sandbox.cds-hooks.org"

ClientFactory = Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        auth=False,
        db=tmp_path / "var" / "feedback.sqlite3",
        allow_insecure_http=True,
        cors_origins=(SANDBOX_ORIGIN,),
        fhir_timeout=1.0,
        fhir_deadline=2.0,
    )


@pytest.fixture
def make_client(settings: Settings, sequential_uuids: Callable[[], str]) -> ClientFactory:
    """``async with make_client(**create_app_kwargs) as client``: the app, lifespan running."""

    def factory(**kwargs: Any) -> AbstractAsyncContextManager[httpx.AsyncClient]:
        kwargs.setdefault("settings", settings)
        kwargs.setdefault("uuid_factory", sequential_uuids)
        kwargs.setdefault("pipeline", fake_pipeline())
        return app_client(**kwargs)

    return factory


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
async def client(make_client: ClientFactory) -> AsyncIterator[httpx.AsyncClient]:
    async with make_client() as c:
        yield c


def hook_request(patient: str = "lms-thigh", **overrides: Any) -> dict[str, Any]:
    """A patient-view request with every prefetch key answered (empty searchsets)."""
    body: dict[str, Any] = {
        "hook": "patient-view",
        "hookInstance": "d1577c69-dfbe-44ad-ba6d-3e05e953b2ea",
        "context": {"userId": "Practitioner/example", "patientId": patient},
        "prefetch": {
            "patient": {"resourceType": "Patient", "id": patient},
            "conditions": {"resourceType": "Bundle", "type": "searchset", "entry": []},
            "observations": {"resourceType": "Bundle", "type": "searchset", "entry": []},
        },
    }
    body.update(overrides)
    return body
