"""The EHR's access token stays under ``fhirServer``: dot segments in ``next`` links, in
``fhirServer`` and in ``context.patientId`` (``.`` and ``..``) never take it elsewhere."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from hooks.fhir.urls import OutsideBase, has_dot_segments, remove_dot_segments, under_base
from hooks.services.prefetch import PREFETCH_TEMPLATES, render
from hooks.web.errors import BadRequest
from hooks.web.settings import is_valid_fhir_id
from tests.service.conftest import ClientFactory
from tests.service.invariants import is_operation_outcome
from tests.service.test_faults import BASE, TOKEN, fallback_request, post, searchset

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        # RFC 3986 section 5.4 (reference resolution examples), the path part
        ("/a/b/c/./../../g", "/a/g"),
        ("mid/content=5/../6", "mid/6"),
        ("/fhir/../admin/export", "/admin/export"),
        ("/fhir/./Condition", "/fhir/Condition"),
        ("/fhir/..", "/"),
        ("/../../x", "/x"),
        ("/fhir/Condition", "/fhir/Condition"),
    ],
)
def test_remove_dot_segments(path: str, expected: str) -> None:
    assert remove_dot_segments(path) == expected


@pytest.mark.parametrize(
    "link",
    [
        f"{BASE}/../admin/export",
        f"{BASE}/%2e%2e/admin/export",
        f"{BASE}/%2E%2E/admin",
        f"{BASE}/.%2e/admin",
        f"{BASE}/Condition/../../admin",
        f"{BASE}/..%2fadmin",
        f"{BASE}/..%5Cadmin",
        f"{BASE}/..\\admin",
        "https://ehr.example.org/fhir-admin/export",
        "https://ehr.example.org/fhirx?page=2",
        "https://ehr.example.org@evil.example/fhir/p2",
        "https://EHR.example.org.evil.example/fhir/p2",
        "http://ehr.example.org/fhir/p2",
        f"{BASE}",
    ],
)
def test_links_outside_the_base_are_refused(link: str) -> None:
    with pytest.raises(OutsideBase):
        under_base(link, BASE)


@pytest.mark.parametrize(
    ("link", "requested"),
    [
        (f"{BASE}?_getpages=abc&_offset=10", f"{BASE}?_getpages=abc&_offset=10"),
        (f"{BASE}/Condition?patient=p&page=2", f"{BASE}/Condition?patient=p&page=2"),
        (f"{BASE}/./Condition?page=2", f"{BASE}/Condition?page=2"),
        (f"{BASE}/x/../Condition?page=2", f"{BASE}/Condition?page=2"),
        ("HTTPS://EHR.example.org/fhir/Condition?page=2", f"{BASE}/Condition?page=2"),
    ],
)
def test_links_under_the_base_are_followed_in_normalized_form(link: str, requested: str) -> None:
    assert under_base(link, BASE) == requested


@pytest.mark.parametrize(
    "link", [f"{BASE}/../admin/export", f"{BASE}/%2e%2e/admin/export", f"{BASE}/.%2E/admin"]
)
async def test_a_dot_segment_next_link_never_gets_the_token(
    make_client: ClientFactory, link: str
) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=searchset(next_url=link))

    response = await post(make_client, handler, fallback_request())
    assert response.status_code == 412
    assert "outside fhirServer" in response.json()["issue"][0]["diagnostics"]
    assert [r.url.path for r in seen] == ["/fhir/Observation"]
    assert TOKEN not in response.text


async def test_a_dot_segment_fhir_server_is_refused(make_client: ClientFactory) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=searchset())

    for server in (f"{BASE}/../admin", f"{BASE}/%2e%2e/admin", "https://ehr.example.org/./fhir"):
        body = fallback_request()
        body["fhirServer"] = server
        response = await post(make_client, handler, body)
        assert response.status_code == 400
        assert "not a FHIR base URL" in response.json()["issue"][0]["diagnostics"]
    assert seen == []


@pytest.mark.parametrize("patient", [".", "..", "a/b", "a%2Fb", "", "x" * 65, "a b", "é"])
def test_ids_that_are_not_fhir_ids_or_are_dot_segments_are_refused(patient: str) -> None:
    assert not is_valid_fhir_id(patient)
    with pytest.raises(BadRequest):
        render(PREFETCH_TEMPLATES["patient"], patient)


@pytest.mark.parametrize("patient", ["a.b", "...", "-1", "Tpt-1.2", "x" * 64])
def test_fhir_ids_with_dots_are_accepted(patient: str) -> None:
    assert is_valid_fhir_id(patient)
    assert render(PREFETCH_TEMPLATES["patient"], patient) == f"Patient/{patient}"


@pytest.mark.parametrize("patient", [".", ".."])
async def test_a_dot_segment_patient_id_is_400_without_a_query(
    make_client: ClientFactory, patient: str
) -> None:
    """``Patient/..`` is the server root and ``Condition?patient=.`` may search every patient:
    refused before any request, whether or not a query would be needed."""
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=searchset())

    for drop in ((), ("patient", "conditions", "observations")):
        body: dict[str, Any] = fallback_request(drop=drop)
        body["context"]["patientId"] = patient
        response = await post(make_client, handler, body)
        assert response.status_code == 400
        assert is_operation_outcome(response.json())
        assert "not a valid FHIR id" in response.json()["issue"][0]["diagnostics"]
    assert seen == []


def test_dot_segment_detection() -> None:
    assert has_dot_segments("/fhir/../x")
    assert has_dot_segments("/fhir/%2E")
    assert not has_dot_segments("/fhir/r4.0/x..y")
