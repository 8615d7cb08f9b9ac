"""Conformance: discovery, request variants and error bodies (CDS Hooks 2.0)."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from hooks.web.wire import Card, CardSource, Coding, ServiceDescription
from tests.service.conftest import hook_request
from tests.service.invariants import check_cards_response, empties, is_operation_outcome
from tests.service.reports import FakeStager, fake_pipeline

pytestmark = pytest.mark.anyio

SERVICE = "/cds-services/sarcoma-staging"

# The spec's prefetch query subset: instance read, or type search with reference, token and
# date params and _count/_sort; the only tokens are context fields and userPractitionerId.
READ = re.compile(r"^[A-Z][A-Za-z]+/\{\{context\.patientId\}\}$")
SEARCH = re.compile(r"^[A-Z][A-Za-z]+\?(?P<params>.+)$")
TOKEN = re.compile(r"\{\{([^}]*)\}\}")


def staging_service(body: dict[str, Any]) -> dict[str, Any]:
    [service] = [s for s in body["services"] if s["id"] == "sarcoma-staging"]
    return service


async def test_discovery_lists_the_patient_view_service(client: httpx.AsyncClient) -> None:
    response = await client.get("/cds-services")
    assert response.status_code == 200
    body = response.json()
    assert empties(body) == []
    assert [s["id"] for s in body["services"]] == [
        "sarcoma-staging",
        "sarcoma-therapy-select",
        "sarcoma-therapy-sign",
    ]
    service = staging_service(body)
    assert service["hook"] == "patient-view"
    assert service["id"] == "sarcoma-staging"
    assert service["title"]
    assert "decision support" in service["description"]
    assert service["usageRequirements"]
    assert set(service["prefetch"]) == {"patient", "conditions", "observations"}
    assert service["prefetch"]["patient"] == "Patient/{{context.patientId}}"
    assert service["prefetch"]["conditions"] == "Condition?patient={{context.patientId}}"


async def test_discovery_names_the_spec_and_hook_versions(client: httpx.AsyncClient) -> None:
    # CDS Hooks 3.0 discovery: ``version`` is the semantic version of the CDS Hooks
    # specification implemented (RECOMMENDED), ``hookVersion`` the version of the published
    # hook definition (OPTIONAL; patient-view is 1.0 in the CDS Hooks Library).
    service = staging_service((await client.get("/cds-services")).json())
    assert re.fullmatch(r"\d+\.\d+\.\d+", service["version"])
    assert service["version"] == "2.0.1"
    assert service["hookVersion"] == "1.0"


def test_service_description_never_emits_empty_versions() -> None:
    bare = ServiceDescription(hook="patient-view", id="x", title="t", description="d").wire()
    assert "version" not in bare
    assert "hookVersion" not in bare
    with pytest.raises(ValueError, match="at least 1 character"):
        ServiceDescription(hook="patient-view", id="x", title="t", description="d", version=" ")


async def test_prefetch_templates_stay_inside_the_spec_query_subset(
    client: httpx.AsyncClient,
) -> None:
    services = (await client.get("/cds-services")).json()["services"]
    templates = [t for service in services for t in service["prefetch"].values()]
    assert len(templates) == 3 + 5 + 5
    for template in templates:
        assert set(TOKEN.findall(template)) <= {"context.patientId"}
        if READ.match(template):
            continue
        match = SEARCH.match(template)
        assert match, template
        for param in match["params"].split("&"):
            name, _, value = param.partition("=")
            assert name in {"patient", "code", "_count", "_sort"}, name
            if name == "code":
                for token in value.split(","):
                    system, bar, code = token.partition("|")
                    assert bar, token
                    assert system.startswith("http"), token
                    assert code, token


async def test_observation_template_reads_the_staging_codes(client: httpx.AsyncClient) -> None:
    service = staging_service((await client.get("/cds-services")).json())
    template = service["prefetch"]["observations"]
    for code in (
        "http://loinc.org|33728-7",
        "http://snomed.info/sct|371472000",
        "http://snomed.info/sct|405921002",
        "http://snomed.info/sct|384625004",
        "http://snomed.info/sct|399588009",
    ):
        assert code in template


async def test_a_complete_request_gets_cards(client: httpx.AsyncClient) -> None:
    response = await client.post(SERVICE, json=hook_request())
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body["cards"]
    assert check_cards_response(body) == []


async def test_unknown_fields_and_extensions_are_accepted(client: httpx.AsyncClient) -> None:
    body = hook_request()
    body["extension"] = {"com.example.flag": {"on": True}}
    body["somethingNew"] = [1, 2]
    body["context"]["extension"] = {"x": 1}
    body["context"]["encounterId"] = "enc-1"
    body["fhirServer"] = "https://ehr.example.org/fhir"
    response = await client.post(SERVICE, json=body)
    assert response.status_code == 200, response.text


async def test_no_sarcoma_is_an_empty_card_list(client: httpx.AsyncClient) -> None:
    response = await client.post(SERVICE, json=hook_request("healthy"))
    assert response.status_code == 200
    assert response.json() == {"cards": []}


def _without(path: str) -> dict[str, Any]:
    body = hook_request()
    node = body
    *parents, last = path.split(".")
    for key in parents:
        node = node[key]
    del node[last]
    return body


@pytest.mark.parametrize("missing", ["hook", "hookInstance", "context", "context.patientId"])
async def test_missing_required_field_is_400_operation_outcome(
    client: httpx.AsyncClient, missing: str
) -> None:
    response = await client.post(SERVICE, json=_without(missing))
    assert response.status_code == 400
    body = response.json()
    assert is_operation_outcome(body)
    assert missing.rsplit(".", maxsplit=1)[-1] in body["issue"][0]["diagnostics"]


@pytest.mark.parametrize("raw", [b"{not json", b"[]", b'"text"', b"", b'{"hook": "patient-view"'])
async def test_malformed_body_is_400_operation_outcome(
    client: httpx.AsyncClient, raw: bytes
) -> None:
    response = await client.post(SERVICE, content=raw, headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert is_operation_outcome(response.json())


async def test_wrong_hook_is_400(client: httpx.AsyncClient) -> None:
    response = await client.post(SERVICE, json=hook_request(hook="order-select"))
    assert response.status_code == 400
    assert "patient-view" in response.json()["issue"][0]["diagnostics"]


async def test_fhir_authorization_requires_fhir_server(client: httpx.AsyncClient) -> None:
    body = hook_request(
        fhirAuthorization={
            "access_token": "secret-token-value",
            "token_type": "Bearer",
            "expires_in": 300,
            "scope": "patient/*.read",
            "subject": "cds-service",
        }
    )
    response = await client.post(SERVICE, json=body)
    assert response.status_code == 400
    assert "fhirServer" in response.text
    assert "secret-token-value" not in response.text


@pytest.mark.parametrize("patient", ["../Patient/x", "a b", "x" * 65, "p?x=1"])
async def test_patient_id_must_be_a_fhir_id(client: httpx.AsyncClient, patient: str) -> None:
    response = await client.post(SERVICE, json=hook_request(patient))
    assert response.status_code == 400
    assert is_operation_outcome(response.json())


async def test_unknown_service_is_404_operation_outcome(client: httpx.AsyncClient) -> None:
    for path in ("/cds-services/nope", "/cds-services/nope/feedback"):
        response = await client.post(path, json=hook_request())
        assert response.status_code == 404
        assert is_operation_outcome(response.json())


async def test_unknown_path_and_method_are_operation_outcomes(client: httpx.AsyncClient) -> None:
    assert is_operation_outcome((await client.get("/nothing-here")).json())
    response = await client.get(SERVICE)
    assert response.status_code == 405
    assert is_operation_outcome(response.json())


async def test_error_bodies_carry_the_correlation_id(client: httpx.AsyncClient) -> None:
    response = await client.post(
        SERVICE, content=b"{", headers={"Content-Type": "application/json"}
    )
    rid = response.headers["X-Request-ID"]
    assert rid
    body = response.json()
    assert body["id"] == rid
    assert rid in body["issue"][0]["diagnostics"]


async def test_a_sane_incoming_request_id_is_kept(client: httpx.AsyncClient) -> None:
    rid = "client-trace-0001"
    response = await client.post(SERVICE, content=b"{", headers={"X-Request-ID": rid})
    assert response.headers["X-Request-ID"] == rid
    weird = await client.get("/cds-services", headers={"X-Request-ID": "<script>"})
    assert weird.headers["X-Request-ID"] != "<script>"


async def test_internal_error_is_500_operation_outcome_not_empty_cards(make_client: Any) -> None:
    async with make_client(pipeline=fake_pipeline(FakeStager(fail=True))) as c:
        response = await c.post(SERVICE, json=hook_request())
    assert response.status_code == 500
    body = response.json()
    assert is_operation_outcome(body)
    assert "cards" not in body
    assert "Traceback" not in response.text
    assert "boom" not in response.text
    assert body["id"] == response.headers["X-Request-ID"]


async def test_healthz(client: httpx.AsyncClient) -> None:
    assert (await client.get("/healthz")).json() == {"status": "ok"}


def test_codings_we_send_have_a_system_and_override_reasons_a_display() -> None:
    # CDS Hooks "Data Types", Coding: code and system REQUIRED; display REQUIRED for the
    # override reasons a service provides.
    with pytest.raises(ValueError, match="system"):
        Coding(code="chart-is-right")  # type: ignore[call-arg]
    card = {"uuid": "u", "summary": "s", "indicator": "warning", "source": CardSource(label="x")}
    with pytest.raises(ValueError, match="override reason needs a display"):
        Card(**card, overrideReasons=[Coding(code="c", system="https://example.org/cs")])
    reason = Coding(code="c", system="https://example.org/cs", display="Chart is right")
    assert Card(**card, overrideReasons=[reason]).wire()["overrideReasons"] == [
        {"code": "c", "system": "https://example.org/cs", "display": "Chart is right"}
    ]
