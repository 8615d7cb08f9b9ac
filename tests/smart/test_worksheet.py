"""What the worksheet shows and its what-if (hooks.smart.worksheet), the write-back's
answers (hooks.smart.ehr, hooks.smart.record), and the pages' guards in-process."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from cds.assess import assess
from hooks.fhir.model import TumorReport
from hooks.services.staging import stage_patient
from hooks.smart.ehr import write_transaction
from hooks.smart.record import describe, with_performer
from hooks.smart.session import COOKIE, SessionStore
from hooks.smart.whatif import WhatIfError, what_if
from hooks.smart.worksheet import view
from hooks.web.settings import Settings
from tests.service.conftest import golden_request, prefetched_resources
from tests.service.harness import app_client

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def report(case: str, patient: str) -> TumorReport:
    _, reports = stage_patient(patient, prefetched_resources(golden_request(case)))
    (only,) = reports
    return only


GX = report("lms-thigh-gx", "golden-gx")


def test_the_view_shows_values_with_sources_and_the_derivation() -> None:
    shown = view(GX)
    assert shown.stage == "IB"
    assert not shown.hypothetical
    size = next(r for r in shown.rows if r.label == "Greatest dimension")
    assert size.value == "7.0 cm (charted as 70 mm)"
    assert (size.reference, size.date) == ("Observation/golden-gx-size", "2024-04-10")
    site = next(r for r in shown.rows if r.label == "Primary site")
    assert site.value.startswith("trunk and extremities (AJCC 8 chapter 41)")
    assert dict(shown.scores) == {
        "Differentiation": "2",
        "Mitotic count": "unknown",
        "Necrosis": "unknown",
        "Total": "unknown",
    }
    assert [c.value for c in shown.categories] == ["cT2", "N0", "M0", "GX"]
    assert "the mitotic count per 10 high-power fields" in shown.missing
    assert any(a.startswith("N0 assumed") for a in shown.assumed)
    assert any("T2" in s.text and s.table.startswith("ajcc8-t") for s in shown.derivation)
    assert all(not s.text.endswith(".") for s in shown.derivation)
    assert shown.treatment


def test_what_if_recomputes_and_is_marked_hypothetical() -> None:
    form = {"mitoses": "14", "necrosis_pct": "30", "size_cm": "7.0"}
    shown = what_if(GX, form, assess)
    assert shown.hypothetical
    assert shown.changed == ("mitotic count", "necrosis")  # 7.0 is the chart's own size
    assert dict(shown.scores)["Total"] == "5"  # 2 + 2 (10-19 mitoses) + 1 (< 50 %)
    assert [c.value for c in shown.categories] == ["cT2", "N0", "M0", "G2"]
    assert shown.stage == "IIIA"
    assert GX.tumor.inputs.mitoses is None  # the chart's report is untouched


def test_what_if_size_replaces_a_recorded_t_and_n1_gives_stage_iv() -> None:
    lms = report("lms-thigh-g3", "golden-lms")
    assert view(lms).stage == "IIIA"
    smaller = what_if(lms, {"size_cm": "4"}, assess)
    assert smaller.categories[0].value == "cT1"
    assert smaller.stage == "II"  # T1 N0 M0 G3
    nodes = what_if(lms, {"n": "N1"}, assess)
    assert nodes.stage == "IV"  # trunk and extremities: N1 is stage IV
    assert nodes.categories[1].basis == "recorded in the chart"


def test_what_if_without_changes_is_the_chart() -> None:
    assert what_if(GX, {"size_cm": "", "n": ""}, assess) == view(GX)


@pytest.mark.parametrize(
    ("form", "words"),
    [
        ({"size_cm": "abc"}, "Size: enter a number"),
        ({"size_cm": "0"}, "from 0.1 to 100"),
        ({"size_cm": "NaN"}, "Size"),
        ({"mitoses": "-1"}, "Mitotic count"),
        ({"mitoses": "1.5"}, "whole number"),
        ({"necrosis_pct": "101"}, "Necrosis"),
        ({"differentiation": "4"}, "Differentiation score"),
        ({"n": "NX"}, "N: choose N0 or N1"),
        ({"m": "M2"}, "M: choose M0 or M1"),
    ],
)
def test_what_if_refuses_values_it_cannot_use(form: dict[str, str], words: str) -> None:
    with pytest.raises(WhatIfError, match=words):
        what_if(GX, form, assess)


def test_performer_is_the_clinician_only() -> None:
    observations = [{"resourceType": "Observation", "id": "a"}]
    assert with_performer(observations, "Practitioner/9")[0]["performer"] == [
        {"reference": "Practitioner/9"}
    ]
    assert "performer" not in with_performer(observations, "Patient/1")[0]
    assert "performer" not in with_performer(observations, "")[0]


def test_describe_an_observation() -> None:
    item = describe(
        {
            "code": {"coding": [{"code": "x", "display": "FNCLCC total score"}]},
            "valueInteger": 5,
            "status": "final",
            "note": [{"text": "Total 5."}],
        }
    )
    assert (item.what, item.value, item.status, item.note) == (
        "FNCLCC total score",
        "5",
        "final",
        "Total 5.",
    )


BUNDLE = {"resourceType": "Bundle", "type": "transaction", "entry": [{}, {}]}


def outcome(text: str) -> dict[str, Any]:
    return {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": "error", "code": "processing", "diagnostics": text}],
    }


@pytest.mark.parametrize(
    ("status", "body", "words"),
    [
        (403, outcome("scope"), "not allowed to create Observations"),
        (401, None, "not allowed to create Observations"),
        (422, outcome("Observation.focus is required"), "Observation.focus is required"),
        (400, None, "did not accept the staging Observations, so nothing was written"),
        (500, None, "HTTP 500"),
        (
            200,
            {"resourceType": "Bundle", "type": "transaction-response", "entry": []},
            "without confirming every Observation",
        ),
    ],
)
async def test_refusals_are_plain_words(status: int, body: Any, words: str) -> None:
    transport = httpx.MockTransport(lambda r: httpx.Response(status, json=body))
    async with httpx.AsyncClient(transport=transport) as http:
        result = await write_transaction(http, "https://ehr/fhir", "t", BUNDLE)
    assert words in result.refusal
    assert result.created == ()


async def test_a_written_transaction_lists_what_was_created() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        entries = [
            {"response": {"status": "201 Created", "location": f"Observation/o{i}/_history/1"}}
            for i in range(2)
        ]
        return httpx.Response(
            200, json={"resourceType": "Bundle", "type": "transaction-response", "entry": entries}
        )

    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as http:
        result = await write_transaction(http, "https://ehr/fhir", "tok", BUNDLE)
    assert result.created == ("Observation/o0", "Observation/o1")
    assert result.refusal == ""
    (request,) = seen
    assert str(request.url) == "https://ehr/fhir"
    assert request.headers["authorization"] == "Bearer tok"


async def test_an_unreachable_server_is_reported() -> None:
    def fail(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("no", request=request)

    async with httpx.AsyncClient(transport=httpx.MockTransport(fail)) as http:
        result = await write_transaction(http, "https://ehr/fhir", "t", BUNDLE)
    assert "could not be reached" in result.refusal


# --- the pages' guards, in-process --------------------------------------------------------


@pytest.fixture
async def app(tmp_path: Path) -> AsyncIterator[tuple[httpx.AsyncClient, SessionStore]]:
    settings = Settings(auth=False, db=tmp_path / "db.sqlite3")
    async with app_client(settings=settings) as client:
        transport = client._transport
        assert isinstance(transport, httpx.ASGITransport)
        yield client, transport.app.state.smart_sessions  # type: ignore[attr-defined]


async def test_a_callback_with_a_foreign_state_is_refused(
    app: tuple[httpx.AsyncClient, SessionStore],
) -> None:
    client, store = app
    no_session = await client.get("/smart/callback", params={"code": "c", "state": "s"})
    assert no_session.status_code == 400
    session = store.create()
    response = await client.get(
        "/smart/callback",
        params={"code": "c", "state": "forged"},
        headers={"Cookie": f"{COOKIE}={session.id}"},
    )
    assert response.status_code == 400
    assert "does not belong to this browser session" in response.text


async def test_pages_without_a_session_say_it_has_ended(
    app: tuple[httpx.AsyncClient, SessionStore],
) -> None:
    client, _ = app
    for method, path in (
        ("GET", "/smart/worksheet"),
        ("POST", "/smart/what-if"),
        ("GET", "/smart/record"),
        ("POST", "/smart/record"),
    ):
        response = await client.request(method, path, headers={"Cookie": f"{COOKIE}=gone"})
        assert response.status_code == 401, path
        assert "Your worksheet session has ended" in response.text


async def test_writes_need_the_csrf_token(app: tuple[httpx.AsyncClient, SessionStore]) -> None:
    client, store = app
    session = store.create()
    session.patient, session.iss = "p1", "https://ehr/fhir"
    cookie = {"Cookie": f"{COOKIE}={session.id}"}
    what = await client.post("/smart/what-if", data={"condition": "c", "n": "N1"}, headers=cookie)
    assert what.status_code == 403
    record = await client.post(
        "/smart/record", data={"condition": "c", "csrf": "wrong"}, headers=cookie
    )
    assert record.status_code == 403


async def test_pages_carry_strict_headers(app: tuple[httpx.AsyncClient, SessionStore]) -> None:
    client, _ = app
    response = await client.get("/smart/worksheet")
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert response.headers["content-type"].startswith("text/html")
    static = await client.get("/smart/static/worksheet.js")
    assert static.status_code == 200
    assert "fetch(" in static.text
