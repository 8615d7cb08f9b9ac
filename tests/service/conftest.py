"""Fixtures for the CDS Hooks service tests: settings on a temporary database, app clients."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from hooks.web.settings import Settings
from tests.service.fhir_server import FhirServer, running_fhir_server
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


GOLDEN_CASES = Path(__file__).parents[1] / "golden" / "cases"


def golden_request(name: str) -> dict[str, Any]:
    data: dict[str, Any] = orjson.loads((GOLDEN_CASES / f"{name}.request.json").read_bytes())
    return data


def prefetched_resources(request: dict[str, Any]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for value in request["prefetch"].values():
        if value.get("resourceType") == "Bundle":
            out += [e["resource"] for e in value.get("entry", [])]
        else:
            out.append(value)
    return out


@pytest.fixture(scope="session")
def fhir_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FhirServer]:
    """A real FHIR R4 server process loaded with every golden patient."""
    with running_fhir_server(tmp_path_factory.mktemp("fhir-server")) as server:
        for request in sorted(GOLDEN_CASES.glob("*.request.json")):
            for resource in prefetched_resources(golden_request(request.name.split(".")[0])):
                server.put(resource)
        yield server
