"""CDS Hooks conformance of the order review services: the order-select and order-sign context
(HL7 CDS Hooks Library, hookVersion 1.0), what is reviewed (selections, MedicationRequests
only, this patient's orders), prefetch semantics for the medication history, errors."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import httpx
import pytest

from hooks.store.feedback import SqliteFeedbackStore
from hooks.web.settings import Settings
from tests.orders.charts import (
    PATIENT,
    RXNORM,
    chart,
    ehr_order,
    order_request,
    prior_request,
    sandbox_order,
)
from tests.service.invariants import check_cards_response, is_operation_outcome

pytestmark = pytest.mark.anyio

SELECT = "/cds-services/sarcoma-therapy-select"
SIGN = "/cds-services/sarcoma-therapy-sign"
NUTRITION = {
    "resourceType": "NutritionOrder",
    "id": "pureeddiet-simple",
    "status": "draft",
    "intent": "order",
    "patient": {"reference": f"Patient/{PATIENT}"},
    "dateTime": "2026-01-01",
    "oralDiet": {"type": [{"text": "Pureed diet"}]},
}


def stage_i_chart() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    return chart("8890/3", size_cm=3.0, grade_text="G1")  # leiomyosarcoma, stage IA


def pleomorphic_stage_iv() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    return chart("8802/3", m="cM1")


def rules(body: dict[str, Any]) -> list[str]:
    return sorted(c["detail"].split("(rule `")[1].split("`")[0] for c in body["cards"])


async def call(client: httpx.AsyncClient, path: str, body: dict[str, Any]) -> httpx.Response:
    response = await client.post(path, json=body)
    if response.status_code == 200:
        assert check_cards_response(response.json()) == []
    else:
        assert is_operation_outcome(response.json())
    return response


async def test_order_select_reviews_only_the_selections(client: httpx.AsyncClient) -> None:
    conditions, observations = stage_i_chart()
    doxorubicin = ehr_order("dox", "text", "doxorubicin 75 mg/m2 IV")
    pazopanib = sandbox_order("867502", "pazopanib 200 MG Oral Tablet", rid="paz")
    body = order_request(
        "order-select",
        [pazopanib],
        conditions=conditions,
        observations=observations,
        extra_draft=[doxorubicin, NUTRITION],
        selections=["MedicationRequest/paz", "NutritionOrder/pureeddiet-simple"],
    )
    response = await call(client, SELECT, body)
    assert response.status_code == 200
    summaries = [c["summary"] for c in response.json()["cards"]]
    assert summaries
    assert all(s.startswith("Pazopanib:") for s in summaries)
    # order-sign reviews every MedicationRequest of the session; the diet is not one.
    sign = copy.deepcopy(body)
    sign["hook"] = "order-sign"
    del sign["context"]["selections"]
    response = await call(client, SIGN, sign)
    names = {c["summary"].split(":")[0] for c in response.json()["cards"]}
    assert names == {"Pazopanib", "Doxorubicin"}


async def test_hook_definition_example_with_nutrition_order_gets_no_card(
    client: httpx.AsyncClient,
) -> None:
    conditions, observations = stage_i_chart()
    amoxicillin = sandbox_order(
        "617993", "Amoxicillin 120 MG/ML / clavulanate potassium 8.58 MG/ML Oral Suspension"
    )
    body = order_request(
        "order-select",
        [amoxicillin],
        conditions=conditions,
        observations=observations,
        extra_draft=[NUTRITION],
        selections=["NutritionOrder/pureeddiet-simple", "MedicationRequest/request-123"],
    )
    response = await call(client, SELECT, body)
    assert response.json() == {"cards": []}


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda b: b["context"].pop("userId"), "context.userId"),
        (lambda b: b["context"].pop("draftOrders"), "context.draftOrders"),
        (lambda b: b["context"].pop("selections"), "context.selections is required"),
        (lambda b: b["context"].update(selections=[]), "context.selections is required"),
        (
            lambda b: b["context"].update(selections=["MedicationRequest/not-there"]),
            "context.selections[0] names no resource",
        ),
        (
            lambda b: b["context"].update(draftOrders={"resourceType": "Parameters"}),
            "draftOrders must be a FHIR Bundle",
        ),
        (
            lambda b: b["context"].update(draftOrders={"resourceType": "Bundle", "entry": {}}),
            "draftOrders.entry must be a list",
        ),
        (lambda b: b.update(hook="patient-view"), "answers the order-select hook only"),
        (lambda b: b.update(hook="order-sign"), "answers the order-select hook only"),
        (lambda b: b["context"].update(patientId="a/b"), "not a valid FHIR id"),
    ],
)
async def test_bad_order_context_is_400(
    client: httpx.AsyncClient, mutate: Any, message: str
) -> None:
    conditions, observations = stage_i_chart()
    body = order_request(
        "order-select",
        [sandbox_order("867502", "pazopanib 200 MG Oral Tablet")],
        conditions=conditions,
        observations=observations,
    )
    mutate(body)
    response = await call(client, SELECT, body)
    assert response.status_code == 400
    assert message in response.json()["issue"][0]["diagnostics"]


async def test_unknown_fields_and_extensions_are_accepted(client: httpx.AsyncClient) -> None:
    conditions, observations = stage_i_chart()
    body = order_request(
        "order-sign",
        [ehr_order("dox", "text", "doxorubicin 75 mg/m2 IV")],
        conditions=conditions,
        observations=observations,
    )
    body["extension"] = {"com.example.ehr": {"x": 1}}
    body["context"]["extension"] = {"com.example.ehr": True}
    response = await call(client, SIGN, body)
    assert rules(response.json()) == ["stage-i-systemic-therapy"]


async def test_another_patients_order_and_history_are_not_used(client: httpx.AsyncClient) -> None:
    conditions, observations = pleomorphic_stage_iv()
    other_order = ehr_order("other", "text", "doxorubicin 75 mg/m2 IV")
    other_order["subject"] = {"reference": "Patient/someone-else"}
    other_history = prior_request("h1", "doxorubicin 60 mg/m2", None)
    other_history["subject"] = {"reference": "Patient/someone-else"}
    body = order_request(
        "order-sign",
        [sandbox_order("867502", "pazopanib 200 MG Oral Tablet"), other_order],
        conditions=conditions,
        observations=observations,
        history=[other_history],
    )
    response = await call(client, SIGN, body)
    # The other patient's doxorubicin is neither reviewed nor earlier therapy of this patient.
    assert rules(response.json()) == ["pazopanib-without-earlier-chemotherapy"]
    assert "0 MedicationRequest" in response.json()["cards"][0]["detail"]


async def test_entered_in_error_and_cancelled_orders_are_not_reviewed(
    client: httpx.AsyncClient,
) -> None:
    conditions, observations = stage_i_chart()
    orders = []
    for n, status in enumerate(("entered-in-error", "cancelled")):
        order = ehr_order(f"o{n}", "text", "doxorubicin 75 mg/m2 IV")
        order["status"] = status
        orders.append(order)
    body = order_request("order-sign", orders, conditions=conditions, observations=observations)
    assert (await call(client, SIGN, body)).json() == {"cards": []}


async def test_referenced_medication_in_draft_orders_is_read(client: httpx.AsyncClient) -> None:
    conditions, observations = stage_i_chart()
    medication = {
        "resourceType": "Medication",
        "id": "med-dox",
        "code": {"coding": [{"system": RXNORM, "code": "1790099"}]},
    }
    order = ehr_order("dox", "text", "")
    del order["medicationCodeableConcept"]
    order["medicationReference"] = {"reference": "Medication/med-dox"}
    body = order_request(
        "order-sign",
        [order],
        conditions=conditions,
        observations=observations,
        extra_draft=[medication],
    )
    response = await call(client, SIGN, body)
    assert rules(response.json()) == ["stage-i-systemic-therapy"]
    assert "RxNorm 1790099" in response.json()["cards"][0]["detail"]


async def test_history_null_means_none_on_record_and_is_not_fetched(
    client: httpx.AsyncClient,
) -> None:
    conditions, observations = pleomorphic_stage_iv()
    body = order_request(
        "order-sign",
        [sandbox_order("867502", "pazopanib 200 MG Oral Tablet")],
        conditions=conditions,
        observations=observations,
    )
    body["prefetch"]["medicationRequests"] = None
    body["prefetch"]["medicationStatements"] = None
    response = await call(client, SIGN, body)
    assert rules(response.json()) == ["pazopanib-without-earlier-chemotherapy"]


async def test_history_missing_without_fhir_server_is_412(client: httpx.AsyncClient) -> None:
    conditions, observations = pleomorphic_stage_iv()
    body = order_request(
        "order-sign",
        [sandbox_order("867502", "pazopanib 200 MG Oral Tablet")],
        conditions=conditions,
        observations=observations,
    )
    del body["prefetch"]["medicationStatements"]
    response = await call(client, SIGN, body)
    assert response.status_code == 412
    assert "medicationStatements" in response.json()["issue"][0]["diagnostics"]


async def test_each_order_and_rule_gets_its_own_card_with_unique_ids(
    client: httpx.AsyncClient,
) -> None:
    conditions, observations = chart("8852/3", m="cM1")  # myxoid liposarcoma, stage IV
    body = order_request(
        "order-sign",
        [
            sandbox_order("867502", "pazopanib 200 MG Oral Tablet", rid="a"),
            ehr_order("b", "coded", "eribulin mesylate 0.5 MG/ML", "1045456"),
        ],
        conditions=conditions,
        observations=observations,
    )
    response = await call(client, SIGN, body)
    cards = response.json()["cards"]
    assert rules(response.json()) == [
        "eribulin-trabectedin-without-anthracycline",
        "pazopanib-adipocytic",
        "pazopanib-without-earlier-chemotherapy",
    ]
    assert len({c["uuid"] for c in cards}) == 3
    # The warning card comes with the same override reasons as the info cards.
    warning = next(c for c in cards if c["indicator"] == "warning")
    assert warning["summary"] == "Pazopanib: not for adipocytic sarcoma (liposarcoma)"


async def test_feedback_on_an_order_card_is_stored_under_its_service(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    feedback = {
        "feedback": [
            {
                "card": "0b6c9c1e-2f1a-4c5e-9d7b-3a2f1e0d9c8b",
                "outcome": "overridden",
                "overrideReason": {
                    "reason": {
                        "code": "history-not-in-record",
                        "system": "https://sarcoma-cds.org/fhir/CodeSystem/override-reason",
                        "display": "Relevant history is not in this record",
                    },
                    "userComment": "doxorubicin given at another hospital in 2024",
                },
                "outcomeTimestamp": "2026-01-01T12:00:00Z",
            }
        ]
    }
    response = await client.post(SELECT + "/feedback", json=feedback)
    assert response.json() == {"received": 1, "stored": 1}
    again = await client.post(SELECT + "/feedback", json=feedback)
    assert again.json() == {"received": 1, "stored": 0}
    [record] = list(SqliteFeedbackStore(Path(settings.db)).export())
    assert record.service_id == "sarcoma-therapy-select"
    assert record.override_code == "history-not-in-record"


async def test_remembered_staging_follows_the_chart(client: httpx.AsyncClient) -> None:
    # The staging of a chart is remembered between order calls; a changed chart (the grade
    # recorded since) is staged again, and the draft orders are always read afresh.
    order = ehr_order("dox", "text", "doxorubicin 75 mg/m2 IV")
    conditions, observations = stage_i_chart()
    low = order_request("order-sign", [order], conditions=conditions, observations=observations)
    first = (await call(client, SIGN, low)).json()
    assert rules(first) == ["stage-i-systemic-therapy"]
    assert rules((await call(client, SIGN, low)).json()) == ["stage-i-systemic-therapy"]
    conditions, observations = chart("8890/3", size_cm=3.0, grade_text="G3")  # stage II
    high = order_request("order-sign", [order], conditions=conditions, observations=observations)
    assert (await call(client, SIGN, high)).json() == {"cards": []}
    other_drug = order_request(
        "order-sign",
        [ehr_order("gem", "text", "gemcitabine 900 mg/m2")],
        conditions=stage_i_chart()[0],
        observations=stage_i_chart()[1],
    )
    summaries = [c["summary"] for c in (await call(client, SIGN, other_drug)).json()["cards"]]
    assert summaries == ["Gemcitabine: chemotherapy is usually not given for stage I"]


async def test_stage_i_card_says_which_categories_were_assumed(client: httpx.AsyncClient) -> None:
    conditions, observations = stage_i_chart()  # no N or M recorded
    body = order_request(
        "order-sign",
        [ehr_order("dox", "text", "doxorubicin 75 mg/m2 IV")],
        conditions=conditions,
        observations=observations,
    )
    [card] = (await call(client, SIGN, body)).json()["cards"]
    assert "stage IA (T1 N0 M0 G1; N0 and M0 assumed: not recorded" in card["detail"]
    conditions, observations = chart("8890/3", size_cm=3.0, grade_text="G1", m="cM0")
    body = order_request(
        "order-sign",
        [ehr_order("dox", "text", "doxorubicin 75 mg/m2 IV")],
        conditions=conditions,
        observations=observations,
    )
    [card] = (await call(client, SIGN, body)).json()["cards"]
    assert "stage IA (T1 N0 M0 G1; N0 assumed: not recorded" in card["detail"]


async def test_an_order_being_re_signed_is_not_its_own_earlier_therapy(
    client: httpx.AsyncClient,
) -> None:
    # order-sign may fire for orders being re-signed (status active); the EHR's history search
    # then returns the same MedicationRequest. It is not earlier therapy.
    conditions, observations = pleomorphic_stage_iv()
    gemcitabine = ehr_order("gem-1", "text", "gemcitabine 900 mg/m2 d1,8")
    gemcitabine["status"] = "active"
    trabectedin = ehr_order("trab-1", "coded", "trabectedin", "2745754")
    body = order_request(
        "order-sign",
        [gemcitabine, trabectedin],
        conditions=conditions,
        observations=observations,
        history=[{**gemcitabine, "authoredOn": "2026-01-01"}],
    )
    response = await call(client, SIGN, body)
    assert rules(response.json()) == [
        "eribulin-trabectedin-without-anthracycline",
        "trabectedin-outside-liposarcoma-leiomyosarcoma",
    ]
    assert "Systemic agents for sarcoma found: none." in response.json()["cards"][0]["detail"]


async def test_discovery_describes_both_order_services(client: httpx.AsyncClient) -> None:
    services = {s["id"]: s for s in (await client.get("/cds-services")).json()["services"]}
    for sid, hook in (
        ("sarcoma-therapy-select", "order-select"),
        ("sarcoma-therapy-sign", "order-sign"),
    ):
        service = services[sid]
        assert service["hook"] == hook
        assert service["hookVersion"] == "1.0"  # CDS Hooks Library order-select / order-sign
        assert service["version"] == "2.0.1"
        assert "decision support" not in service["title"]
        assert "never replaces" in service["description"]
        assert service["prefetch"] == {
            "patient": "Patient/{{context.patientId}}",
            "conditions": "Condition?patient={{context.patientId}}",
            "observations": services["sarcoma-staging"]["prefetch"]["observations"],
            "medicationRequests": "MedicationRequest?patient={{context.patientId}}",
            "medicationStatements": "MedicationStatement?patient={{context.patientId}}",
        }


async def test_work_per_order_call_is_bounded_like_patient_view(client: httpx.AsyncClient) -> None:
    # Thirty myxoid liposarcoma Conditions at thirty body sites (so none merges with another)
    # and one pazopanib order: the default bounds stage at most 10 primaries and answer at most
    # 50 cards, the last of which names what was left out (hooks.services.bounds).
    conditions, _ = chart("8852/3", m="cM1")
    many = []
    for index in range(30):
        copy = dict(conditions[0], id=f"sarcoma-{index}")
        copy["bodySite"] = [{"text": f"site {index}"}]
        many.append(copy)
    body = order_request(
        "order-sign",
        [sandbox_order("867502", "pazopanib 200 MG Oral Tablet", rid="a")],
        conditions=many,
        observations=[],
    )
    response = await call(client, SIGN, body)
    cards = response.json()["cards"]
    assert len(cards) <= Settings().max_cards
    notice = cards[-1]
    assert notice["indicator"] == "warning"
    left_out = notice["detail"].replace("\\", "")  # Markdown escapes removed
    assert "Not staged:" in left_out
    assert "Condition/sarcoma-29" in left_out
    assert "Condition/sarcoma-9," not in left_out  # the first ten were staged and reviewed
    assert 1 < len(cards) <= Settings().max_primaries * 3 + 1
