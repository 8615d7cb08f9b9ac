"""The staging API: ``POST /stage`` and ``POST /fhir/$stage`` (hooks.api).

``/stage`` must answer exactly what ``sarcoma-cds stage-fhir --json`` prints for the same
resources, whatever the Bundle type; ``$stage`` must carry the same assessment plus the
Observations to record, as declared by its OperationDefinition.
"""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from fastapi import Request

from hooks import cli
from hooks.auth import AuthenticationError as JwtAuthenticationError
from hooks.fhir import r4b
from hooks.smart.session import COOKIE, SessionStore
from hooks.web.settings import Settings
from tests.fhir.conftest import FIXTURES, PROFILES
from tests.service.harness import app_client, sequential_uuid_factory

pytestmark = pytest.mark.anyio
LMS = FIXTURES / "mcode-stu4-thigh-leiomyosarcoma.json"
TWO = FIXTURES / "two-primaries.json"
OPERATION = json.loads((PROFILES / "OperationDefinition-stage.json").read_text())


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def read(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def cli_json(capsys: pytest.CaptureFixture[str], *args: str) -> Any:
    assert cli.main(["stage-fhir", "--json", *args]) == 0
    return json.loads(capsys.readouterr().out)


def as_bundle(path: Path, kind: str) -> dict[str, Any]:
    """The fixture's resources re-packed as a Bundle of ``kind`` (as an EHR export would be)."""
    document = read(path)
    resources = [e["resource"] for e in document["entry"]] if "entry" in document else [document]
    entries: list[dict[str, Any]] = []
    for resource in resources:
        entry: dict[str, Any] = {
            "fullUrl": f"urn:uuid:{len(entries):08d}-0000-4000-8000-000000000000",
            "resource": resource,
        }
        if kind == "transaction":
            url = f"{resource['resourceType']}/{resource['id']}"
            entry["request"] = {"method": "PUT", "url": url}
        if kind == "searchset":
            entry["search"] = {"mode": "match"}
        entries.append(entry)
    return {"resourceType": "Bundle", "type": kind, "entry": entries}


@pytest.fixture
async def client(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    settings = Settings(auth=False, db=tmp_path / "db.sqlite3")
    async with app_client(settings=settings, uuid_factory=sequential_uuid_factory()) as c:
        yield c


def outcome(response: httpx.Response, status: int) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["resourceType"] == "OperationOutcome"
    assert response.headers["x-request-id"] in body["issue"][0]["diagnostics"]
    return str(body["issue"][0]["diagnostics"])


@pytest.mark.parametrize("kind", ["collection", "searchset", "transaction"])
async def test_stage_answers_what_stage_fhir_json_prints(
    client: httpx.AsyncClient, capsys: pytest.CaptureFixture[str], kind: str
) -> None:
    expected = cli_json(capsys, str(TWO))
    response = await client.post("/stage", json=as_bundle(TWO, kind))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    assert response.json() == expected
    assert [item["stage"] for item in expected] == ["IIIB", "IV"]  # the fixture's two primaries


async def test_several_patients_need_the_patient_parameter(
    client: httpx.AsyncClient, capsys: pytest.CaptureFixture[str]
) -> None:
    bundle = as_bundle(LMS, "collection")
    bundle["entry"].append({"resource": read(FIXTURES / "second-patient.json")})
    message = outcome(await client.post("/stage", json=bundle), 400)
    assert "2 Patients" in message
    assert "patient parameter" in message
    chosen = await client.post("/stage", params={"patient": "pat-lms"}, json=bundle)
    assert chosen.status_code == 200
    assert chosen.json() == cli_json(capsys, str(LMS))
    other = await client.post("/stage", params={"patient": "pat-extra"}, json=bundle)
    assert other.json() == []  # that patient has no sarcoma: nothing of pat-lms leaks


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (b"{not json", "not valid JSON"),
        (b"[]", "JSON object"),
        (orjson.dumps({"resourceType": "Patient", "id": "x"}), "expected a FHIR Bundle"),
        (orjson.dumps({"resourceType": "Bundle", "type": "batch"}), "not 'batch'"),
        (orjson.dumps({"resourceType": "Bundle", "type": {}}), "collection, searchset"),
        (orjson.dumps({"resourceType": "Bundle", "type": "collection", "entry": {}}), "entry"),
    ],
)
async def test_bad_bodies_are_400_operation_outcomes(
    client: httpx.AsyncClient, body: bytes, words: str
) -> None:
    response = await client.post(
        "/stage", content=body, headers={"Content-Type": "application/json"}
    )
    assert words in outcome(response, 400)


async def test_bad_patient_parameter(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/stage", params={"patient": "a/b"}, json=as_bundle(LMS, "collection")
    )
    assert "FHIR id" in outcome(response, 400)


async def test_a_bundle_naming_no_patient(client: httpx.AsyncClient) -> None:
    response = await client.post("/stage", json={"resourceType": "Bundle", "type": "collection"})
    assert "names no patient" in outcome(response, 400)


async def test_stage_operation_parameters(
    client: httpx.AsyncClient, capsys: pytest.CaptureFixture[str]
) -> None:
    expected = cli_json(capsys, str(TWO))
    body = {
        "resourceType": "Parameters",
        "parameter": [
            {"name": "bundle", "resource": as_bundle(TWO, "searchset")},
            {"name": "patient", "valueString": "pat-two"},
        ],
    }
    headers = {"Content-Type": "application/fhir+json"}
    response = await client.post("/fhir/$stage", content=orjson.dumps(body), headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/fhir+json"
    result = response.json()
    assert r4b.validation_problem(result) is None
    params = result["parameter"]
    assessments = [p for p in params if p["name"] == "assessment"]
    decoded = [
        json.loads(base64.b64decode(part["valueAttachment"]["data"]))
        for a in assessments
        for part in a["part"]
        if part["name"] == "json"
    ]
    assert decoded == expected
    stages = [
        part["valueCode"] for a in assessments for part in a["part"] if part["name"] == "stage"
    ]
    assert stages == ["IIIB", "IV"]
    (observations,) = [p["resource"] for p in params if p["name"] == "observations"]
    assert observations["type"] == "transaction"
    assert r4b.validation_problem(observations) is None
    entries = observations["entry"]
    assert len(entries) > 4
    # Conditional creates (our identifier), so that applying the Bundle twice writes nothing twice
    assert all(e["request"]["method"] == "POST" for e in entries)
    assert all(e["request"]["url"] == "Observation" for e in entries)
    assert all(
        e["request"]["ifNoneExist"].startswith("identifier=https://sarcoma-cds.org/fhir/")
        for e in entries
    )
    assert {e["resource"]["focus"][0]["reference"] for e in entries} == {
        "Condition/ups-thigh",
        "Condition/lps-rp",
    }


async def test_stage_operation_answers_only_declared_parameters(
    client: httpx.AsyncClient,
) -> None:
    body = {"resourceType": "Parameters", "parameter": [{"name": "bundle", "resource": read(LMS)}]}
    result = (await client.post("/fhir/$stage", json=body)).json()
    declared = {p["name"]: p for p in OPERATION["parameter"] if p["use"] == "out"}
    for param in result["parameter"]:
        assert param["name"] in declared
        parts = {p["name"] for p in declared[param["name"]].get("part", [])}
        assert {p["name"] for p in param.get("part", [])} <= parts
    required = {name for name, p in declared.items() if p["min"] >= 1}
    assert required <= {p["name"] for p in result["parameter"]}


@pytest.mark.parametrize(
    ("parameters", "words"),
    [
        ([], "exactly one 'bundle'"),
        ([{"name": "bundle", "valueString": "x"}], "exactly one 'bundle'"),
        (
            [{"name": "bundle", "resource": {"resourceType": "Bundle", "type": "collection"}}] * 2,
            "exactly one 'bundle'",
        ),
        (
            [
                {"name": "bundle", "resource": {"resourceType": "Bundle", "type": "collection"}},
                {"name": "patient", "valueInteger": 3},
            ],
            "valueString",
        ),
    ],
)
async def test_stage_operation_bad_parameters(
    client: httpx.AsyncClient, parameters: list[Any], words: str
) -> None:
    body = {"resourceType": "Parameters", "parameter": parameters}
    assert words in outcome(await client.post("/fhir/$stage", json=body), 400)
    not_parameters = await client.post("/fhir/$stage", json=read(LMS))
    assert "Parameters" in outcome(not_parameters, 400)


async def test_an_empty_chart_gives_an_empty_transaction(client: httpx.AsyncClient) -> None:
    bundle = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [{"resource": {"resourceType": "Patient", "id": "p1"}}],
    }
    body = {"resourceType": "Parameters", "parameter": [{"name": "bundle", "resource": bundle}]}
    result = (await client.post("/fhir/$stage", json=body)).json()
    assert r4b.validation_problem(result) is None
    assert [p["name"] for p in result["parameter"]] == ["observations", "disclaimer"]
    assert result["parameter"][0]["resource"] == {"resourceType": "Bundle", "type": "transaction"}


# --- authentication -----------------------------------------------------------------------


class OneTokenAuthenticator:
    """Accepts the one bearer token ``good``; anything else is the JWT layer's 401."""

    async def authenticate(self, request: Request) -> str:
        if request.headers.get("authorization") != "Bearer good":
            raise JwtAuthenticationError("bad token")
        return "client"


@pytest.fixture
async def guarded(tmp_path: Path) -> AsyncIterator[tuple[httpx.AsyncClient, SessionStore]]:
    settings = Settings(auth=True, db=tmp_path / "db.sqlite3")
    async with app_client(settings=settings, authenticator=OneTokenAuthenticator()) as c:
        transport = c._transport
        assert isinstance(transport, httpx.ASGITransport)
        store: SessionStore = transport.app.state.smart_sessions  # type: ignore[attr-defined]
        yield c, store


async def test_the_api_needs_the_hooks_authentication(
    guarded: tuple[httpx.AsyncClient, SessionStore],
) -> None:
    client, _ = guarded
    bundle = as_bundle(LMS, "collection")
    for path in ("/stage", "/fhir/$stage"):
        refused = await client.post(path, json=bundle)
        assert refused.status_code == 401
        assert refused.headers["www-authenticate"] == "Bearer"
        assert refused.content == b""
    allowed = await client.post("/stage", json=bundle, headers={"Authorization": "Bearer good"})
    assert allowed.status_code == 200
    assert allowed.json()[0]["stage"] == "IIIA"


async def test_the_worksheet_session_needs_its_csrf_token(
    guarded: tuple[httpx.AsyncClient, SessionStore],
) -> None:
    client, store = guarded
    session = store.create()
    session.patient = "pat-lms"
    bundle = as_bundle(LMS, "collection")
    cookie = {"Cookie": f"{COOKIE}={session.id}"}
    without_csrf = await client.post("/stage", json=bundle, headers=cookie)
    assert without_csrf.status_code == 401
    wrong_csrf = await client.post(
        "/stage", json=bundle, headers={**cookie, "X-CSRF-Token": session.csrf[:-1] + "x"}
    )
    assert wrong_csrf.status_code == 401
    with_csrf = await client.post(
        "/stage", json=bundle, headers={**cookie, "X-CSRF-Token": session.csrf}
    )
    assert with_csrf.status_code == 200
    store.drop(session.id)
    ended = await client.post(
        "/stage", json=bundle, headers={**cookie, "X-CSRF-Token": session.csrf}
    )
    assert ended.status_code == 401


async def test_the_api_has_the_hooks_limits(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SARCOMA_CDS_MAX_RESOURCES", "10")
    settings = Settings(auth=False, db=tmp_path / "db.sqlite3")
    async with app_client(settings=settings) as c:
        bundle = {
            "resourceType": "Bundle",
            "type": "collection",
            "entry": [{"resource": {"resourceType": "Patient", "id": f"p{i}"}} for i in range(20)],
        }
        assert "resources" in outcome(await c.post("/stage", json=bundle), 413)


def test_the_openapi_schema_documents_the_api(tmp_path: Path) -> None:
    from hooks.web.app import create_app  # noqa: PLC0415

    document = create_app(Settings(auth=False, db=tmp_path / "db.sqlite3")).openapi()
    stage = document["paths"]["/stage"]["post"]
    assert stage["requestBody"]["content"]["application/json"]["schema"]["properties"]["type"]
    assert [p["name"] for p in stage["parameters"]] == ["patient"]
    operation = document["paths"]["/fhir/$stage"]["post"]
    assert "application/fhir+json" in operation["requestBody"]["content"]
    assert not [p for p in document["paths"] if p.startswith("/smart")]  # pages, not API
