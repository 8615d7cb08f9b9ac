"""``sarcoma-cds serve --workers 2`` as deployed: metrics added up across workers on their own
port, JSON log lines without tokens or patient data, graceful shutdown on SIGTERM."""

from __future__ import annotations

import json
import signal
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.ops.instances import auth_env, instance
from tests.security.servers import Server, uvicorn_process
from tests.security.test_faults import request_for
from tests.security.tokens import SERVICE_PATH, Signer
from tests.service.conftest import golden_request
from tests.service.fhir_server import free_port

PATIENT_NAME = "Quartermaine-Zebulon"


@pytest.fixture(scope="module")
def fhir_server() -> Iterator[Server]:
    with uvicorn_process("tests.security.fault_fhir:app", {}, ready_path="/healthz") as server:
        yield server


@pytest.fixture
def signer() -> Signer:
    return Signer(iss="https://ehr.example.org", alg="ES384")


def samples(text: str, name: str) -> list[tuple[dict[str, str], float]]:
    return [
        (s.labels, s.value)
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if s.name == name
    ]


def total(text: str, name: str, **labels: str) -> float:
    return sum(
        value
        for found, value in samples(text, name)
        if all(found.get(k) == v for k, v in labels.items())
    )


def staged_request() -> dict[str, Any]:
    body = golden_request("lms-thigh-g3")
    body["prefetch"]["patient"]["name"] = [{"family": PATIENT_NAME, "given": ["Ada"]}]
    return body


def test_metrics_are_added_up_across_workers_and_logs_are_json_lines(
    signer: Signer, tmp_path: Path
) -> None:
    metrics_port = free_port()
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    env = auth_env(
        signer,
        tmp_path,
        str(tmp_path / "var" / "cds.sqlite3"),
        SARCOMA_CDS_LOG_FORMAT="json",
        SARCOMA_CDS_LOG_LEVEL="INFO",
        SARCOMA_CDS_METRICS_PORT=str(metrics_port),
        TMPDIR=str(run_dir),
    )
    with instance(env, tmp_path) as server, httpx.Client(timeout=30) as client:
        for _ in range(24):  # new connections: the kernel spreads them over both workers
            assert httpx.get(server.base + "/healthz").status_code == 200
        token = signer.token()
        rid = "ops-test-" + uuid.uuid4().hex
        headers = {"Authorization": f"Bearer {token}", "X-Request-ID": rid}
        staged = client.post(server.base + SERVICE_PATH, json=staged_request(), headers=headers)
        assert staged.status_code == 200
        assert client.post(server.base + SERVICE_PATH, json=staged_request()).status_code == 401
        assert client.get(server.base + "/metrics").status_code == 404  # not on the public port
        scraped = httpx.get(f"http://127.0.0.1:{metrics_port}/metrics").text

        assert total(scraped, "sarcoma_cds_http_requests_total", endpoint="healthz") == 24
        service_calls = total(scraped, "sarcoma_cds_http_requests_total", endpoint="service")
        assert service_calls == 2  # one answered, one refused
        indicators = {c["indicator"] for c in staged.json()["cards"]}
        for indicator in indicators:
            expected = sum(1 for c in staged.json()["cards"] if c["indicator"] == indicator)
            assert total(scraped, "sarcoma_cds_cards_total", indicator=indicator) == expected
        assert total(scraped, "sarcoma_cds_stage_groups_total") >= 1
        assert total(scraped, "sarcoma_cds_staging_statuses_total", status="staged") >= 1
        assert total(scraped, "sarcoma_cds_auth_refusals_total", reason="missing-token") == 1
        assert PATIENT_NAME not in scraped
        shared = list(run_dir.glob("sarcoma-cds-metrics-*"))
        assert len(shared) == 1  # made by serve for its workers
        assert len(list(shared[0].glob("*.db"))) >= 2  # one file per worker and metric kind
    assert not list(run_dir.glob("sarcoma-cds-metrics-*"))  # removed at exit

    lines = [ln for ln in server.log.read_text().splitlines() if ln.startswith("{")]
    records = [json.loads(line) for line in lines]
    assert records, "no JSON log lines"
    assert all({"time", "level", "logger", "message"} <= set(r) for r in records)
    request_line = next(r for r in records if r.get("correlation_id") == rid and "status" in r)
    assert request_line["service"] == "sarcoma-staging"
    assert request_line["status"] == 200
    assert request_line["path"] == SERVICE_PATH
    assert isinstance(request_line["duration_ms"], float)
    log_text = server.log.read_text()
    for part in token.split("."):
        assert part not in log_text
    assert PATIENT_NAME not in log_text


def test_sigterm_lets_the_request_in_flight_finish(
    fhir_server: Server, signer: Signer, tmp_path: Path
) -> None:
    slow = f"{fhir_server.base}/slow/fhir"
    env = auth_env(
        signer,
        tmp_path,
        str(tmp_path / "var" / "cds.sqlite3"),
        SARCOMA_CDS_ALLOW_INSECURE_HTTP="on",
        SARCOMA_CDS_FHIR_TIMEOUT="1.5",
        SARCOMA_CDS_FHIR_DEADLINE="1.5",
    )
    issuers = Path(env["SARCOMA_CDS_TRUSTED_ISSUERS"])
    document = json.loads(issuers.read_text())
    document["issuers"][0]["fhir_servers"] = [slow]
    issuers.write_text(json.dumps(document))

    def slow_requests_seen() -> int:
        return int(httpx.get(fhir_server.base + "/stats").json().get("slow", 0))

    with instance(env, tmp_path) as server, ThreadPoolExecutor(1) as pool:
        seen = slow_requests_seen()
        headers = {"Authorization": f"Bearer {signer.token()}"}
        in_flight = pool.submit(
            httpx.post,
            server.base + SERVICE_PATH,
            json=request_for("pat-8", fhir_server=slow),
            headers=headers,
            timeout=30,
        )
        for _ in range(500):  # until the call waits on the FHIR server
            if slow_requests_seen() > seen:
                break
            time.sleep(0.02)
        else:
            pytest.fail("the call never reached the FHIR server")
        server.process.send_signal(signal.SIGTERM)  # to the supervisor, as Kubernetes does
        response = in_flight.result(timeout=30)
        assert response.status_code == 412  # answered in full (deadline), not cut off
        assert response.json()["resourceType"] == "OperationOutcome"
        assert server.process.wait(timeout=30) in {0, -signal.SIGTERM}
