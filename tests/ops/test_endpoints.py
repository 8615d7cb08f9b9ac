"""/readyz, /metrics on the service port, the 503 for an unavailable store, and the settings
that configure them (the app in-process)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client import REGISTRY

from hooks.store.errors import StoreUnavailable
from hooks.store.feedback import FeedbackRecord
from hooks.web.app import create_app
from hooks.web.settings import Settings, SettingsError
from tests.security.tokens import PUBLIC_BASE, Signer
from tests.service.conftest import hook_request

pytestmark = pytest.mark.anyio
FEEDBACK = {
    "card": "c1",
    "outcome": "accepted",
    "outcomeTimestamp": "2026-01-01T00:00:00Z",
    "acceptedSuggestions": [{"id": "s1"}],
}
METRICS_TOKEN = "metrics-scrape-token-4f7c2a"  # noqa: S105 - a test value


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@asynccontextmanager
async def running(settings: Settings, **kwargs: Any) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings, **kwargs)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
            yield client


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


class DownStore:
    """A feedback store whose database is down."""

    def __init__(self) -> None:
        self.down = True

    def initialize(self) -> None:
        return None

    def ping(self) -> None:
        if self.down:
            raise StoreUnavailable("readiness check")

    def add(self, records: Sequence[FeedbackRecord]) -> int:
        if self.down:
            raise StoreUnavailable("storing feedback")
        return len(records)

    def export(self) -> Iterator[FeedbackRecord]:
        return iter(())


async def test_ready_with_sqlite_and_not_ready_while_the_store_is_down(tmp_path: Path) -> None:
    async with running(Settings(auth=False, db=tmp_path / "a.sqlite3")) as client:
        ready = await client.get("/readyz")
        assert ready.status_code == 200
        assert ready.json() == {"status": "ready"}
    store = DownStore()
    async with running(Settings(auth=False, db=tmp_path / "b.sqlite3"), feedback_store=store) as c:
        not_ready = await c.get("/readyz")
        assert not_ready.status_code == 503
        outcome = not_ready.json()
        assert outcome["resourceType"] == "OperationOutcome"
        assert outcome["issue"][0]["diagnostics"] == "not ready: the database does not answer"
        assert (await c.get("/healthz")).status_code == 200  # liveness is not readiness
        before = sample("sarcoma_cds_store_unavailable_total", operation="storing feedback")
        body = {"feedback": [FEEDBACK]}
        refused = await c.post("/cds-services/sarcoma-staging/feedback", json=body)
        assert refused.status_code == 503
        assert refused.json()["issue"][0]["code"] == "transient"
        assert refused.headers["retry-after"] == "5"
        after = sample("sarcoma_cds_store_unavailable_total", operation="storing feedback")
        assert after == before + 1
        store.down = False  # the database is back: no restart needed
        assert (await c.get("/readyz")).status_code == 200
        stored = await c.post("/cds-services/sarcoma-staging/feedback", json=body)
        assert stored.json() == {"received": 1, "stored": 1}


async def test_not_ready_when_the_trusted_issuers_file_turns_invalid(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    signer = Signer(iss="https://ehr.example.org", alg="ES384")
    issuers = tmp_path / "issuers.json"
    issuers.write_text(json.dumps({"issuers": [{"iss": signer.iss, "jwks": signer.jwks()}]}))
    monkeypatch.setenv("SARCOMA_CDS_TRUSTED_ISSUERS", str(issuers))
    settings = Settings(auth=True, public_base_url=PUBLIC_BASE, db=tmp_path / "c.sqlite3")
    async with running(settings) as client:
        assert (await client.get("/readyz")).status_code == 200
        issuers.write_text("{ not json")
        broken = await client.get("/readyz")
        assert broken.status_code == 503
        assert "trusted issuers file" in broken.json()["issue"][0]["diagnostics"]
        issuers.write_text(json.dumps({"issuers": [{"iss": signer.iss, "jwks": signer.jwks()}]}))
        assert (await client.get("/readyz")).status_code == 200


async def test_not_ready_before_start_up_has_loaded_the_tables(tmp_path: Path) -> None:
    app = create_app(Settings(auth=False, db=tmp_path / "d.sqlite3"))
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
        response = await client.get("/readyz")  # lifespan not run: nothing loaded, no store
    assert response.status_code == 503
    problems = [i["diagnostics"] for i in response.json()["issue"]]
    assert "not ready: clinical tables not loaded yet" in problems


async def test_metrics_on_the_service_port_need_the_token(tmp_path: Path) -> None:
    async with running(Settings(auth=False, db=tmp_path / "e.sqlite3")) as client:
        hidden = await client.get("/metrics")
        assert hidden.status_code == 404  # no token configured: not served on this port
    settings = Settings(auth=False, db=tmp_path / "f.sqlite3", metrics_token=METRICS_TOKEN)
    async with running(settings) as client:
        assert (await client.get("/metrics")).status_code == 401
        wrong = {"Authorization": "Bearer not-the-token"}
        assert (await client.get("/metrics", headers=wrong)).status_code == 401
        good = {"Authorization": f"Bearer {METRICS_TOKEN}"}
        scraped = await client.get("/metrics", headers=good)
        assert scraped.status_code == 200
        assert scraped.headers["content-type"].startswith("text/plain")
        assert "sarcoma_cds_http_requests_total" in scraped.text


async def test_fhir_fallback_calls_are_counted_and_timed(tmp_path: Path) -> None:
    def fhir(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/Patient/p-fallback"):
            return httpx.Response(200, json={"resourceType": "Patient", "id": "p-fallback"})
        return httpx.Response(500, text="down")

    settings = Settings(auth=False, allow_insecure_http=True, db=tmp_path / "g.sqlite3")
    ok = sample("sarcoma_cds_fhir_requests_total", outcome="ok")
    failed = sample("sarcoma_cds_fhir_requests_total", outcome="http-5xx")
    timed = sample("sarcoma_cds_fhir_request_duration_seconds_count")
    body = hook_request("p-fallback")
    del body["prefetch"]
    body["fhirServer"] = "https://fhir.example.org/r4"
    async with running(settings, transport=httpx.MockTransport(fhir)) as client:
        response = await client.post("/cds-services/sarcoma-staging", json=body)
    assert response.status_code == 412  # the searches failed: data unobtainable
    assert sample("sarcoma_cds_fhir_requests_total", outcome="ok") >= ok + 1
    assert sample("sarcoma_cds_fhir_requests_total", outcome="http-5xx") >= failed + 1
    assert sample("sarcoma_cds_fhir_request_duration_seconds_count") >= timed + 2


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("postgresql://cds:pw@db:5432/cds", "postgresql://cds:pw@db:5432/cds"),
        ("postgres://db/cds?sslmode=require", "postgres://db/cds?sslmode=require"),
        ("var/feedback.sqlite3", Path("var/feedback.sqlite3")),
    ],
)
def test_the_db_setting_takes_a_path_or_a_postgresql_url(raw: str, expected: object) -> None:
    assert Settings.from_env({"SARCOMA_CDS_DB": raw}).db == expected


@pytest.mark.parametrize(
    ("name", "raw"),
    [
        ("SARCOMA_CDS_DB", "mysql://db/cds"),
        ("SARCOMA_CDS_DB", "postgresql:///cds"),
        ("SARCOMA_CDS_LOG_FORMAT", "xml"),
        ("SARCOMA_CDS_METRICS_PORT", "70000"),
        ("SARCOMA_CDS_WORKERS", "0"),
        ("SARCOMA_CDS_DB_POOL_SIZE", "0"),
    ],
)
def test_bad_operations_settings_name_the_variable(name: str, raw: str) -> None:
    with pytest.raises(SettingsError, match=name):
        Settings.from_env({name: raw})


def test_the_settings_table_hides_secrets() -> None:
    settings = Settings.from_env(
        {
            "SARCOMA_CDS_DB": "postgresql://cds:hunter2-pw@db:5432/cds",
            "SARCOMA_CDS_METRICS_TOKEN": METRICS_TOKEN,
        }
    )
    shown = json.dumps(settings.table())
    assert "hunter2-pw" not in shown
    assert METRICS_TOKEN not in shown
