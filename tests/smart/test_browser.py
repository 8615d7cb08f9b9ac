"""The staging worksheet in a real browser (Debian's chromium, Playwright), launched by a test
EHR (``tests/smart/ehr.py``) in front of the real FHIR server process.

Covers: EHR launch from the stage card's SMART link -> worksheet -> what-if -> record -> the
Observations on the FHIR server -> the next hook call reads them as recorded; standalone launch;
denied consent; expired session; a FHIR server refusal; recording without the write scope;
the open-server demo mode; tablet width.
"""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest

from hooks.fhir.writeback import IDENTIFIER_SYSTEM
from tests.service.fhir_server import FhirServer
from tests.smart.conftest import shot
from tests.smart.ehr import PRACTITIONER, FakeEhr

READ = "patient/Patient.rs patient/Condition.rs patient/Observation.rs"
STAGE_GROUP_PROFILE = "http://hl7.org/fhir/us/mcode/StructureDefinition/mcode-tnm-stage-group"


def hook_call(service: str, ehr: FakeEhr, patient: str) -> dict[str, Any]:
    """The EHR calls the CDS service with only fhirServer and a token (no prefetch)."""
    token = ehr.issue_token(patient, READ)
    body = {
        "hook": "patient-view",
        "hookInstance": "d1577c69-dfbe-44ad-ba6d-3e05e953b2ea",
        "fhirServer": ehr.fhir_base,
        "fhirAuthorization": {
            "access_token": token,
            "token_type": "Bearer",
            "expires_in": 300,
            "scope": READ,
            "subject": "sarcoma-cds",
        },
        "context": {"patientId": patient, "userId": PRACTITIONER},
    }
    response = httpx.post(f"{service}/cds-services/sarcoma-staging", json=body, timeout=20)
    assert response.status_code == 200, response.text
    stage_card: dict[str, Any] = response.json()["cards"][0]
    return stage_card


def our_observations(fhir: FhirServer, patient: str) -> list[dict[str, Any]]:
    bundle = fhir.get(f"Observation?patient={patient}&_count=200")
    return [
        e["resource"]
        for e in bundle.get("entry", [])
        if any(i.get("system") == IDENTIFIER_SYSTEM for i in e["resource"].get("identifier", []))
    ]


def ehr_launch(page: Any, ehr: FakeEhr, service: str, patient: str, context: str = "") -> None:
    launch = ehr.register_launch(patient, context)
    page.goto(f"{service}/smart/launch?{urlencode({'iss': ehr.fhir_base, 'launch': launch})}")
    page.wait_for_selector("text=Test EHR: the staging worksheet asks for access")


def test_card_to_worksheet_what_if_and_nothing_recorded_while_the_stage_is_open(
    page: Any, ehr: FakeEhr, service: str, fhir: FhirServer
) -> None:
    card = hook_call(service, ehr, "golden-gx")
    assert card["summary"].startswith("AJCC 8 stage IB (cT2 N0 M0 GX)")
    (link,) = card["links"]
    assert link == {
        "label": "Open the staging worksheet",
        "url": f"{service}/smart/launch",
        "type": "smart",
        "appContext": "Condition/golden-gx-primary",
        "autoLaunchable": False,
    }
    # The EHR launches the link: iss and a launch id bound to the patient and appContext.
    launch = ehr.register_launch("golden-gx", link["appContext"])
    page.goto(f"{link['url']}?{urlencode({'iss': ehr.fhir_base, 'launch': launch})}")
    assert "patient/Observation.c" in page.inner_text("ul")
    page.click("button[value=allow]")
    page.wait_for_selector("h1:text-is('Staging worksheet')")
    assert page.url == f"{service}/smart/worksheet"  # no code, state or token in the URL
    tumor = page.locator("article.tumor").first
    assert tumor.locator("h2").inner_text() == "Leiomyosarcoma of left thigh"
    assert tumor.get_by_test_id("stage").inner_text() == "IB"
    text = tumor.inner_text()
    assert "Observation/golden-gx-size" in text
    assert "2024-04-10" in text
    assert "the mitotic count per 10 high-power fields" in text  # what is missing
    assert "N0 assumed" in text
    assert "Evidence:" in text
    assert ehr.tokens  # the token lives server side only:
    html = page.content()
    assert not any(token in html for token in ehr.tokens)
    assert not any(token in c["value"] for c in page.context.cookies() for token in ehr.tokens)
    (cookie,) = page.context.cookies()
    assert cookie["httpOnly"]
    assert cookie["sameSite"] == "Lax"
    shot(page, "worksheet-ehr-launch")

    # What-if: mitotic count 14 and necrosis 30 % give FNCLCC 2 + 2 + 1 = 5, G2: stage IIIA.
    tumor.get_by_label("Mitotic count (per 10 HPF)").fill("14")
    tumor.get_by_label("Necrosis (%)").fill("30")
    # (The mitotic count alone already gives IIIA: 2 + 2 + necrosis 0-2 = 4-6, G2 or G3, both
    # IIIA at T2; the necrosis then fixes G2.)
    page.wait_for_selector(".result.hypothetical [data-testid=cat-Grade]:text-is('G2')")
    assert tumor.get_by_test_id("stage").inner_text() == "IIIA"
    result = tumor.locator(".result")
    assert "Hypothetical" in result.inner_text()
    assert tumor.get_by_test_id("cat-Grade").inner_text() == "G2"
    shot(page, "worksheet-what-if")
    shot(page, "worksheet-what-if-viewport", full_page=False)  # docs/worksheet.png
    assert our_observations(fhir, "golden-gx") == []  # a what-if writes nothing

    # Record: with the grade unknown the stage is IB or IIIA, so nothing is determined enough to
    # be recorded (the same rule as the card's suggestion): the page says why, nothing is written.
    tumor.get_by_test_id("record-golden-gx-primary").click()
    page.wait_for_selector("h1:has-text('Nothing to record')")
    assert "the stage group depends on missing data (possible: IB, IIIA)" in page.inner_text("main")
    assert our_observations(fhir, "golden-gx") == []


def test_card_to_worksheet_record_and_the_next_hook_call(
    page: Any, ehr: FakeEhr, service: str, fhir: FhirServer
) -> None:
    # Dedifferentiated liposarcoma of the retroperitoneum, 180 mm, G3 recorded: T4 N0 M0 G3,
    # stage IIIB (AJCC 8 ch. 44, PDQ Table 8); N0 and M0 rest on the AJCC convention.
    card = hook_call(service, ehr, "golden-rp")
    assert card["summary"].startswith("AJCC 8 stage IIIB (cT4 N0 M0 G3)")
    (suggestion,) = card["suggestions"]
    assert "N0 and M0 assumed" in suggestion["label"]
    (link,) = card["links"]
    launch = ehr.register_launch("golden-rp", link["appContext"])
    page.goto(f"{link['url']}?{urlencode({'iss': ehr.fhir_base, 'launch': launch})}")
    page.click("button[value=allow]")
    page.wait_for_selector("h1:text-is('Staging worksheet')")
    tumor = page.locator("article.tumor").first
    assert tumor.get_by_test_id("stage").inner_text() == "IIIB"

    # Record: the confirmation says what rests on the convention, then one transaction.
    tumor.get_by_test_id("record-golden-rp-primary").click()
    page.wait_for_selector("h1:has-text('Record staging')")
    assert page.get_by_test_id("record-label").inner_text() == suggestion["label"]
    rows = page.locator("table.values tbody tr")
    listed = rows.count()
    assert listed == len(suggestion["actions"])  # the same Observations as the card's suggestion
    assert "Stage IIIB" in page.inner_text("table.values")
    assert "AJCC 8th edition convention" in page.inner_text("table.values")
    shot(page, "worksheet-confirm")
    page.get_by_test_id("confirm-record").click()
    page.wait_for_selector("h1:has-text('Staging recorded')")
    assert page.get_by_test_id("created").locator("li").count() == listed

    written = our_observations(fhir, "golden-rp")
    assert len(written) == listed
    assert all(o["performer"] == [{"reference": PRACTITIONER}] for o in written)
    assert all(o["focus"] == [{"reference": "Condition/golden-rp-primary"}] for o in written)
    (stage,) = [o for o in written if o["meta"]["profile"] == [STAGE_GROUP_PROFILE]]
    assert stage["valueCodeableConcept"]["text"] == "Stage IIIB"
    conventions = [o for o in written if "AJCC 8th edition convention" in o["note"][0]["text"]]
    assert len(conventions) == 2  # N0 and M0, each saying it is a convention, not a finding

    # The next hook call reads the recorded staging back: nothing more to suggest, and the
    # convention N0/M0 are not presented as findings.
    again = hook_call(service, ehr, "golden-rp")
    assert "suggestions" not in again
    assert "| T | cT4 (180 mm) | recorded" in again["detail"]
    assert "recorded from an accepted suggestion: not a finding" in again["detail"]
    # Recording again writes nothing twice (conditional create on our identifier).
    assert len(our_observations(fhir, "golden-rp")) == listed


def test_standalone_launch_with_patient_choice(page: Any, ehr: FakeEhr, service: str) -> None:
    page.goto(f"{service}/smart/launch?{urlencode({'iss': ehr.fhir_base})}")
    consent = page.inner_text("ul")
    assert "launch/patient" in consent
    assert "launch\n" not in consent + "\n"
    page.select_option("select[name=patient]", "golden-lms")
    page.click("button[value=allow]")
    page.wait_for_selector("h1:text-is('Staging worksheet')")
    assert page.get_by_test_id("stage").first.inner_text() == "IIIA"
    assert "Patient/golden-lms" in page.inner_text("header")


def test_denied_consent_shows_why_and_opens_nothing(page: Any, ehr: FakeEhr, service: str) -> None:
    ehr_launch(page, ehr, service, "golden-lms")
    page.click("button[value=deny]")
    page.wait_for_selector("h1:has-text('Access was not granted')")
    page.goto(f"{service}/smart/worksheet")
    assert "Your worksheet session has ended" in page.inner_text("h1")


def test_an_expired_session_asks_to_open_the_worksheet_again(
    page: Any, ehr: FakeEhr, make_service: Any
) -> None:
    with make_service(smart_session_ttl="2") as short:
        ehr_launch(page, ehr, short, "golden-lms")
        page.click("button[value=allow]")
        page.wait_for_selector("h1:text-is('Staging worksheet')")
        time.sleep(2.5)
        # A what-if after expiry: the page reloads and says the session has ended.
        page.locator("article.tumor select[name=n]").first.select_option("N1")
        page.wait_for_selector("h1:has-text('Your worksheet session has ended')")
        page.goto(f"{short}/smart/worksheet")
        assert "Your worksheet session has ended" in page.inner_text("h1")
        shot(page, "worksheet-session-ended")


def test_a_refusal_by_the_fhir_server_is_shown_and_nothing_is_written(
    page: Any, ehr: FakeEhr, service: str, fhir: FhirServer
) -> None:
    before = our_observations(fhir, "golden-syn")
    ehr_launch(page, ehr, service, "golden-syn")
    page.click("button[value=allow]")
    page.wait_for_selector("h1:text-is('Staging worksheet')")
    page.locator("a.button.primary").first.click()
    page.wait_for_selector("h1:has-text('Record staging')")
    ehr.refuse_writes = (422, "Observation.performer: Practitioner/dr-okafor is not active")
    try:
        page.get_by_test_id("confirm-record").click()
        page.wait_for_selector("h1:has-text('The staging was not recorded')")
    finally:
        ehr.refuse_writes = None
    text = page.inner_text("main")
    assert "did not accept the staging Observations, so nothing was written" in text
    assert "Practitioner/dr-okafor is not active" in text
    shot(page, "worksheet-refused")
    assert our_observations(fhir, "golden-syn") == before


def test_without_the_write_scope_recording_is_refused(
    page: Any, ehr: FakeEhr, service: str, fhir: FhirServer
) -> None:
    before = our_observations(fhir, "golden-lms")
    ehr_launch(page, ehr, service, "golden-lms")
    page.uncheck("input[name=write]")
    page.click("button[value=allow]")
    page.wait_for_selector("h1:text-is('Staging worksheet')")
    assert "Recording is not available" in page.inner_text("article.tumor")
    assert page.locator("a.button.primary").count() == 0
    page.goto(f"{service}/smart/record?condition=golden-lms-primary")
    assert "Recording is not permitted" in page.inner_text("h1")
    # A forged POST with the right CSRF token is refused too, before the FHIR server is asked.
    page.goto(f"{service}/smart/worksheet")
    csrf = page.get_attribute("meta[name=csrf-token]", "content")
    assert csrf
    status = page.evaluate(
        """async (csrf) => (await fetch('/smart/record', {method: 'POST', headers:
        {'Content-Type': 'application/x-www-form-urlencoded'},
        body: 'condition=golden-lms-primary&csrf=' + encodeURIComponent(csrf)})).status""",
        csrf,
    )
    assert status == 403
    assert our_observations(fhir, "golden-lms") == before


def test_a_write_without_the_csrf_token_is_refused(page: Any, ehr: FakeEhr, service: str) -> None:
    ehr_launch(page, ehr, service, "golden-lms")
    page.click("button[value=allow]")
    page.wait_for_selector("h1:text-is('Staging worksheet')")
    status = page.evaluate(
        """async () => (await fetch('/smart/what-if', {method: 'POST', headers:
        {'Content-Type': 'application/x-www-form-urlencoded', 'X-Requested-With': 'fetch'},
        body: 'condition=golden-lms-primary&size_cm=12'})).status"""
    )
    assert status == 403


def test_open_server_demo_mode_and_tablet_width(browser: Any, ehr: FakeEhr, service: str) -> None:
    context = browser.new_context(viewport={"width": 820, "height": 1180})
    try:
        page = context.new_page()
        query = urlencode({"iss": f"{ehr.base}/open/fhir", "patient": "golden-lms"})
        page.goto(f"{service}/smart/launch?{query}")
        page.wait_for_selector("h1:text-is('Staging worksheet')")
        assert "Demo mode" in page.inner_text("main")
        assert page.get_by_test_id("stage").first.inner_text() == "IIIA"
        overflow = page.evaluate("document.documentElement.scrollWidth > window.innerWidth")
        assert overflow is False
        # Every form control has a label; the first Tab reaches the skip link.
        unlabeled = page.evaluate(
            """[...document.querySelectorAll('input:not([type=hidden]), select')]
               .filter(e => !e.closest('label')).length"""
        )
        assert unlabeled == 0
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.className") == "skip"
        shot(page, "worksheet-tablet")
    finally:
        context.close()


@pytest.mark.parametrize(
    "query",
    [
        {"iss": "http://127.0.0.1:9/fhir", "launch": "x"},  # not a configured FHIR base
        {"iss": "http://127.0.0.1:9/fhir", "patient": "golden-lms"},  # not an open server
        {},
    ],
)
def test_launch_from_an_unknown_server_is_refused(page: Any, service: str, query: Any) -> None:
    response = page.goto(f"{service}/smart/launch?{urlencode(query)}")
    assert response.status == 400
    assert "Cannot open the worksheet" in page.inner_text("h1")
