"""The write-back round trip against a real FHIR R4 server process (SEKMET on loopback).

Call the hook with ``fhirServer`` (no prefetch), apply the stage card's suggestion to the
server as an EHR would, call again: no new suggestion, no duplicates, the stage card shows the
recorded staging, and nothing that was assumed (N0, M0 by the AJCC convention) is presented as
a finding.

How the actions are applied: CDS Hooks 2.0 says the actions of one suggestion "SHOULD be
processed as per FHIR's rules for processing transactions with the CDS Client's fhirServer as
the base url for the inferred full URL of the transaction bundle entries". So the EHR posts
one transaction Bundle to ``fhirServer``: one POST entry per ``create`` action, ``fullUrl``
``{fhirServer}/Observation/<id>``, and a conditional create (``ifNoneExist``) on the
identifier the service puts on each Observation. SEKMET processes transactions (atomic, POST
entries with ``ifNoneExist``, fullUrl to server id rewriting) but only rewrites references
spelled exactly as an entry's fullUrl; FHIR resolves a relative reference ``Observation/<id>``
inside an entry whose fullUrl is ``{fhirServer}/Observation/...`` to ``{fhirServer}/
Observation/<id>`` (R4 Bundle, "Resolving references in Bundles"), so the EHR here spells
those references absolute before posting, which is the same resolution done client-side.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import orjson
import pytest

from hooks.fhir.emit import if_none_exist
from hooks.fhir.writeback import IDENTIFIER_SYSTEM
from hooks.services.registry import default_pipeline
from tests.service.conftest import ClientFactory, golden_request, prefetched_resources
from tests.service.fhir_server import TOKEN, FhirServer

pytestmark = pytest.mark.anyio

SERVICE = "/cds-services/sarcoma-staging"


def renamed(case: str, prefix: str) -> dict[str, Any]:
    """A golden request with every id renamed (``golden-`` -> ``prefix``): a patient of its
    own on the shared server, so the other tests' golden answers stay as they are."""
    text = json.dumps(golden_request(case)).replace("golden-", prefix)
    data: dict[str, Any] = json.loads(text)
    return data


def as_ehr_transaction(suggestion: dict[str, Any], base: str) -> dict[str, Any]:
    actions = suggestion["actions"]
    full = {
        f"Observation/{a['resource']['id']}": f"{base}/Observation/{a['resource']['id']}"
        for a in actions
    }

    def absolute(value: Any) -> Any:
        if isinstance(value, dict):
            return {
                k: full.get(v, v) if k == "reference" and isinstance(v, str) else absolute(v)
                for k, v in value.items()
            }
        if isinstance(value, list):
            return [absolute(v) for v in value]
        return value

    entries = []
    for action in actions:
        assert action["type"] == "create"
        resource = action["resource"]
        condition = if_none_exist(resource)
        assert condition is not None
        body = absolute({k: v for k, v in resource.items() if k != "id"})
        entries.append(
            {
                "fullUrl": full[f"Observation/{resource['id']}"],
                "resource": body,
                "request": {"method": "POST", "url": "Observation", "ifNoneExist": condition},
            }
        )
    return {"resourceType": "Bundle", "type": "transaction", "entry": entries}


def post_transaction(server: FhirServer, bundle: dict[str, Any]) -> dict[str, Any]:
    response = httpx.post(
        server.base,
        content=orjson.dumps(bundle),
        headers={**server.headers(), "Content-Type": "application/fhir+json"},
        timeout=30,
    )
    assert response.status_code == 200, response.text[:2000]
    result: dict[str, Any] = response.json()
    assert result["type"] == "transaction-response"
    return result


def ours_on_server(server: FhirServer, patient: str) -> list[dict[str, Any]]:
    bundle = server.get(f"Observation?patient={patient}&_count=200")
    found = [e["resource"] for e in bundle.get("entry", [])]
    return [
        o
        for o in found
        if any(i.get("system") == IDENTIFIER_SYSTEM for i in o.get("identifier", []))
    ]


def with_server(request: dict[str, Any], server: FhirServer) -> dict[str, Any]:
    request.pop("prefetch")
    request["fhirServer"] = server.base
    request["fhirAuthorization"] = {
        "access_token": TOKEN,
        "token_type": "Bearer",
        "expires_in": 300,
        "scope": "patient/Patient.read patient/Condition.read patient/Observation.read",
        "subject": "sarcoma-cds",
    }
    return request


async def call(make_client: ClientFactory, request: dict[str, Any]) -> list[dict[str, Any]]:
    async with make_client(pipeline=default_pipeline()) as client:
        response = await client.post(SERVICE, json=request)
    assert response.status_code == 200, response.text
    cards: list[dict[str, Any]] = response.json()["cards"]
    return cards


async def test_accepting_the_suggestion_records_once_and_is_shown_as_recorded(
    make_client: ClientFactory, fhir_server: FhirServer
) -> None:
    prefix = "rt-lms-"
    request = renamed("lms-thigh-g3", prefix)
    for resource in prefetched_resources(request):
        fhir_server.put(resource)
    patient = request["context"]["patientId"]

    first = await call(make_client, with_server(json.loads(json.dumps(request)), fhir_server))
    stage = first[0]
    assert stage["summary"].startswith("AJCC 8 stage IIIA (cT2 N0 M0 G3)")
    [suggestion] = stage["suggestions"]
    assert suggestion["label"] == (
        "Record stage IIIA (N0 and M0 assumed: no nodal or distant disease recorded)"
    )
    created = len(suggestion["actions"])
    assert created == 7  # stage, cT2, cN0, cM0, G3, mitotic and necrosis scores

    # The EHR applies the accepted suggestion: one transaction against fhirServer.
    bundle = as_ehr_transaction(suggestion, fhir_server.base)
    result = post_transaction(fhir_server, bundle)
    assert [e["response"]["status"] for e in result["entry"]] == ["201 Created"] * created
    stored = ours_on_server(fhir_server, patient)
    assert len(stored) == created
    # references among the new Observations point at the server's own ids
    ids = {f"Observation/{o['id']}" for o in stored}
    [stage_obs] = [o for o in stored if "hasMember" in o and len(o["hasMember"]) == 3]
    assert {m["reference"] for m in stage_obs["hasMember"]} <= ids

    # A second acceptance of the same card (another click, another user) creates nothing.
    again = post_transaction(fhir_server, bundle)
    assert [e["response"]["status"] for e in again["entry"]] == ["200 OK"] * created
    assert len(ours_on_server(fhir_server, patient)) == created

    # The chart opened again: the staging is recorded, nothing new is suggested.
    second = await call(make_client, with_server(json.loads(json.dumps(request)), fhir_server))
    stage = second[0]
    assert stage["summary"].startswith("AJCC 8 stage IIIA (cT2 N0 M0 G3)")
    assert "suggestions" not in stage
    assert all("suggestions" not in card for card in second)
    assert not [c for c in second if c["indicator"] == "warning"]  # no gaps, no discrepancy
    # the same cards (no data note about our own Observations), the staging unchanged
    assert [c["summary"] for c in second] == [c["summary"] for c in first]
    detail = stage["detail"]
    stage_ref = f"Observation/{stage_obs['id']}".replace("-", "\\-")
    assert f"- **Recorded**: on 2026\\-01\\-01 ({stage_ref}), from an accepted suggestion" in (
        detail
    )
    # N0 and M0 rest on the AJCC convention: never shown as a finding or plainly "recorded"
    assert "| N | N0 | AJCC convention, accepted |" in detail
    assert "| M | M0 | AJCC convention, accepted |" in detail
    assert "N0 and M0 by the AJCC convention for unrecorded nodal or distant status" in detail
    assert "not a finding" in detail
    assert "| N | N0 | recorded |" not in detail
    # the values we wrote are named as coming from the accepted suggestion
    assert "(accepted suggestion)" in detail
    assert len(ours_on_server(fhir_server, patient)) == created


async def test_a_chart_holding_the_same_staging_from_anyone_gets_no_suggestion(
    make_client: ClientFactory, fhir_server: FhirServer
) -> None:
    # The staging Observations written by someone else (a plain copy of ours without our
    # identifier or tag): the card says where it is recorded, and offers nothing.
    prefix = "rt-copy-"
    request = renamed("ddlps-retroperitoneum", prefix)
    for resource in prefetched_resources(request):
        fhir_server.put(resource)
    first = await call(make_client, with_server(json.loads(json.dumps(request)), fhir_server))
    [suggestion] = first[0]["suggestions"]
    bundle = as_ehr_transaction(suggestion, fhir_server.base)
    for entry in bundle["entry"]:
        entry["resource"].pop("identifier")
        entry["resource"]["meta"].pop("tag")
        entry["request"].pop("ifNoneExist")
    post_transaction(fhir_server, bundle)
    second = await call(make_client, with_server(json.loads(json.dumps(request)), fhir_server))
    stage = second[0]
    assert "suggestions" not in stage
    assert "- **Recorded**: on 2026\\-01\\-01 (Observation/" in stage["detail"]
    assert "from an accepted suggestion" not in stage["detail"]
