"""FHIR server faults against real processes on 127.0.0.1, and many patients at once.

The FHIR server is ``tests.security.fault_fhir`` run by uvicorn; "down" is a bound port that
nobody listens on. The service answers 412 within its deadline whatever the FHIR server does,
keeps serving other requests meanwhile, and never mixes one patient's data into another's.
"""

from __future__ import annotations

import asyncio
import json
import re
import signal
import socket
import time
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from hooks.auth.issuers import TrustedIssuer, parse_trusted_issuers
from tests.security.fault_fhir import size_for
from tests.security.patients import chart
from tests.security.servers import Server, uvicorn_process
from tests.security.service import auth_settings, authenticated_service
from tests.security.tokens import PUBLIC_BASE, SERVICE_PATH, Signer

pytestmark = pytest.mark.anyio

#: Each fault and the words of the 412's diagnostics that name it.
FAULT_WORDS = {
    "down": "could not be reached",
    "slow": "0.5 s",
    "error500": "HTTP 500",
    "unauthorized": "HTTP 401",
    "garbage": "not JSON",
    "huge": "more than 16777216 bytes",
}
FAULTS = tuple(FAULT_WORDS)
DEADLINE = 0.5
#: The deadline plus a generous margin for a loaded test machine: a correctness bound.
ANSWER_WITHIN = 3.0
ACCESS_TOKEN = "fhir-access-token-Zq8vT3"  # noqa: S105 (a test value)


@pytest.fixture(scope="module")
def fhir_server() -> Iterator[Server]:
    with uvicorn_process("tests.security.fault_fhir:app", {}, ready_path="/healthz") as server:
        yield server


@pytest.fixture(scope="module")
def closed_port() -> Iterator[int]:
    """A loopback port that is bound (so nobody else takes it) but never accepts."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    yield sock.getsockname()[1]
    sock.close()


@pytest.fixture
def bases(fhir_server: Server, closed_port: int) -> dict[str, str]:
    urls = {mode: f"{fhir_server.base}/{mode}/fhir" for mode in ("ok", *FAULTS)}
    urls["down"] = f"http://127.0.0.1:{closed_port}/fhir"
    return urls


@pytest.fixture
def signer() -> Signer:
    return Signer(iss="https://ehr.example.org", alg="ES384")


@pytest.fixture
def fault_issuers(
    signer: Signer, bases: dict[str, str], tmp_path: Path
) -> dict[str, TrustedIssuer]:
    document = {
        "issuers": [
            {"iss": signer.iss, "jwks": signer.jwks(), "fhir_servers": list(bases.values())}
        ]
    }
    return parse_trusted_issuers(document, source=tmp_path / "issuers.json", allow_http=True)


@pytest.fixture
async def service(
    tmp_path: Path, fault_issuers: dict[str, TrustedIssuer]
) -> AsyncIterator[httpx.AsyncClient]:
    settings = auth_settings(
        tmp_path, allow_insecure_http=True, fhir_timeout=DEADLINE, fhir_deadline=DEADLINE
    )
    async with authenticated_service(settings, fault_issuers) as client:  # real network
        yield client


def request_for(pid: str, *, fhir_server: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "hook": "patient-view",
        "hookInstance": "d1577c69-dfbe-44ad-ba6d-3e05e953b2ea",
        "context": {"userId": "Practitioner/example", "patientId": pid},
    }
    if fhir_server is None:
        body["prefetch"] = chart(pid, size_for(pid))
    else:
        body["fhirServer"] = fhir_server
        body["fhirAuthorization"] = {
            "access_token": ACCESS_TOKEN,
            "token_type": "Bearer",
            "expires_in": 300,
            "scope": "patient/*.read",
            "subject": "sarcoma-cds",
        }
    return body


async def post(client: httpx.AsyncClient, signer: Signer, body: dict[str, Any]) -> httpx.Response:
    headers = {"Authorization": f"Bearer {signer.token()}"}
    return await client.post(SERVICE_PATH, json=body, headers=headers, timeout=30)


def patients_named(response: httpx.Response) -> set[str]:
    """Every synthetic patient id the response mentions (Markdown escapes removed)."""
    text = json.dumps(response.json()).replace("\\\\", "")
    return set(re.findall(r"pat-\d+", text))


def assert_staged_for(response: httpx.Response, pid: str) -> None:
    assert response.status_code == 200, response.text
    assert patients_named(response) == {pid}
    text = json.dumps(response.json()).replace("\\\\", "")
    assert f"{size_for(pid)} cm" in text
    # The stage card carries a suggestion (Observations with a subject) only when the staging is
    # determined: these charts have no grade (GX), so there may be none; any there is, is theirs.
    subjects = set(re.findall(r'"reference": "(Patient/[^"]+)"', text))
    assert subjects <= {f"Patient/{pid}"}


@pytest.mark.parametrize("fault", FAULTS)
async def test_fhir_fault_is_412_within_the_deadline_and_service_keeps_serving(
    service: httpx.AsyncClient, signer: Signer, bases: dict[str, str], fault: str
) -> None:
    started = time.monotonic()
    response = await post(service, signer, request_for("pat-1", fhir_server=bases[fault]))
    elapsed = time.monotonic() - started
    assert response.status_code == 412, response.text
    outcome = response.json()
    assert outcome["resourceType"] == "OperationOutcome"
    assert response.headers["x-request-id"] in outcome["issue"][0]["diagnostics"]
    assert FAULT_WORDS[fault] in outcome["issue"][0]["diagnostics"]
    assert ACCESS_TOKEN not in response.text
    assert "stack trace" not in response.text
    assert elapsed < ANSWER_WITHIN
    # The same service still answers: by prefetch, and from a healthy FHIR server.
    assert_staged_for(await post(service, signer, request_for("pat-2")), "pat-2")
    healthy = await post(service, signer, request_for("pat-3", fhir_server=bases["ok"]))
    assert_staged_for(healthy, "pat-3")


async def test_slow_fhir_server_does_not_hold_up_other_requests(
    service: httpx.AsyncClient, signer: Signer, bases: dict[str, str]
) -> None:
    slow = [
        post(service, signer, request_for(f"pat-{i}", fhir_server=bases["slow"])) for i in range(5)
    ]
    fast = [post(service, signer, request_for(f"pat-{i}")) for i in range(10, 20)]
    started = time.monotonic()
    responses = await asyncio.gather(*slow, *fast)
    assert time.monotonic() - started < ANSWER_WITHIN
    assert [r.status_code for r in responses[:5]] == [412] * 5
    for i, response in zip(range(10, 20), responses[5:], strict=True):
        assert_staged_for(response, f"pat-{i}")


async def test_fifty_concurrent_patients_never_mix(
    service: httpx.AsyncClient, signer: Signer, bases: dict[str, str]
) -> None:
    """Half by prefetch, half fetched from the (jittering) FHIR server, all at once."""
    ids = [f"pat-{i}" for i in range(50)]
    bodies = [
        request_for(pid, fhir_server=bases["ok"] if i % 2 else None) for i, pid in enumerate(ids)
    ]
    responses = await asyncio.gather(*(post(service, signer, body) for body in bodies))
    for pid, response in zip(ids, responses, strict=True):
        assert_staged_for(response, pid)


def service_env(
    signer: Signer, servers: list[str], tmp_path: Path, deadline: float
) -> dict[str, str]:
    issuers = tmp_path / "issuers.json"
    issuers.write_text(
        json.dumps(
            {"issuers": [{"iss": signer.iss, "jwks": signer.jwks(), "fhir_servers": servers}]}
        )
    )
    return {
        "SARCOMA_CDS_AUTH": "on",
        "SARCOMA_CDS_TRUSTED_ISSUERS": str(issuers),
        "SARCOMA_CDS_PUBLIC_BASE_URL": PUBLIC_BASE,
        "SARCOMA_CDS_DB": str(tmp_path / "var" / "service.sqlite3"),
        "SARCOMA_CDS_ALLOW_INSECURE_HTTP": "on",
        "SARCOMA_CDS_FHIR_TIMEOUT": str(deadline),
        "SARCOMA_CDS_FHIR_DEADLINE": str(deadline),
    }


def test_graceful_shutdown_finishes_the_request_in_flight(
    fhir_server: Server, tmp_path: Path
) -> None:
    """SIGTERM while a call waits on the FHIR server: the call is answered, then the process
    exits cleanly."""
    signer = Signer(iss="https://ehr.example.org", alg="ES384")
    slow = f"{fhir_server.base}/slow/fhir"
    env = service_env(signer, [slow], tmp_path, deadline=1.5)

    def slow_requests_seen() -> int:
        return int(httpx.get(fhir_server.base + "/stats").json().get("slow", 0))

    with uvicorn_process("hooks.app:app", env) as service, ThreadPoolExecutor(1) as pool:
        seen = slow_requests_seen()
        headers = {"Authorization": f"Bearer {signer.token()}"}
        body = request_for("pat-8", fhir_server=slow)
        in_flight = pool.submit(
            httpx.post, service.base + SERVICE_PATH, json=body, headers=headers, timeout=30
        )
        deadline = time.monotonic() + 10
        while slow_requests_seen() == seen:  # the call is now waiting on the FHIR server
            assert time.monotonic() < deadline, "the call never reached the FHIR server"
            time.sleep(0.02)
        service.process.send_signal(signal.SIGTERM)
        response = in_flight.result(timeout=30)
        assert response.status_code == 412
        assert response.json()["resourceType"] == "OperationOutcome"
        # uvicorn re-raises the signal once shut down, so a clean exit reports SIGTERM.
        assert service.process.wait(timeout=30) in {0, -signal.SIGTERM}


def test_real_service_process_answers_412_within_deadline_and_stays_up(
    fhir_server: Server, tmp_path: Path
) -> None:
    """``hooks.app:app`` under uvicorn, authentication on, against the slow FHIR server."""
    signer = Signer(iss="https://ehr.example.org", alg="ES384")
    slow, ok = f"{fhir_server.base}/slow/fhir", f"{fhir_server.base}/ok/fhir"
    env = service_env(signer, [slow, ok], tmp_path, deadline=DEADLINE)
    with uvicorn_process("hooks.app:app", env) as service, httpx.Client(timeout=30) as client:

        def call(body: dict[str, Any]) -> httpx.Response:
            headers = {"Authorization": f"Bearer {signer.token()}"}
            return client.post(service.base + SERVICE_PATH, json=body, headers=headers)

        started = time.monotonic()
        response = call(request_for("pat-4", fhir_server=slow))
        assert response.status_code == 412
        assert time.monotonic() - started < ANSWER_WITHIN
        assert client.get(service.base + "/healthz").status_code == 200
        assert_staged_for(call(request_for("pat-5", fhir_server=ok)), "pat-5")
        assert_staged_for(call(request_for("pat-6")), "pat-6")
        assert (
            client.post(service.base + SERVICE_PATH, json=request_for("pat-7")).status_code == 401
        )
