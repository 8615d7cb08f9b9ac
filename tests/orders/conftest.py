"""Fixtures for the order review tests: the app in-process with the real pipeline."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from hooks.web.settings import Settings
from tests.service.harness import app_client


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        auth=False,
        db=tmp_path / "var" / "feedback.sqlite3",
        allow_insecure_http=True,
        fhir_timeout=1.0,
        fhir_deadline=2.0,
    )


@pytest.fixture
async def client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    async with app_client(settings=settings) as c:
        yield c
