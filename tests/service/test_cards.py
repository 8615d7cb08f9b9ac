"""Card content for hand-built TumorReports: summary, detail, sources, suggestion, gaps."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import httpx
import pytest

from cds.model import Grade, Stage
from hooks.cards.factory import PDQ_URL, CardFactory, md, truncate
from hooks.fhir.model import Extraction, PrimaryTumor, TumorReport
from tests.service.conftest import hook_request
from tests.service.invariants import check_cards_response
from tests.service.reports import (
    discrepancy,
    fake_observations,
    head_neck_angiosarcoma,
    lms_thigh,
    lms_thigh_gx,
)

pytestmark = pytest.mark.anyio

SERVICE = "/cds-services/sarcoma-staging"


def _cards(patient: str, client_body: dict[str, Any]) -> list[dict[str, Any]]:
    cards: list[dict[str, Any]] = client_body["cards"]
    assert check_cards_response(client_body) == []
    return cards


@pytest.mark.parametrize("patient", ["lms-thigh", "lms-gx", "lms-discrepant", "angio-scalp"])
async def test_every_response_meets_the_invariants(client: httpx.AsyncClient, patient: str) -> None:
    body = (await client.post(SERVICE, json=hook_request(patient))).json()
    assert body["cards"]
    assert check_cards_response(body) == []
    for card in body["cards"]:
        assert "Decision support" in card["detail"]
        assert card["source"]["url"] == PDQ_URL


async def test_stage_card_for_a_staged_tumor(client: httpx.AsyncClient) -> None:
    body = (await client.post(SERVICE, json=hook_request("lms-thigh"))).json()
    stage = _cards("lms-thigh", body)[0]
    assert stage["summary"] == "AJCC 8 stage IIIA (pT2 N0 M0 G3), leiomyosarcoma of left thigh"
    assert stage["indicator"] == "info"
    assert stage["source"]["label"] == "AJCC 8th edition via NCI PDQ"
    detail = stage["detail"]
    # each value with its basis, source resource and date; the assumptions; no derivation
    # (it stays in the CLI report and stage-fhir --json)
    size = "Observation/lms\\-thigh\\-size, 2024\\-03\\-05"
    assert f"| T | pT2 (70 mm) | derived | {size} |" in detail
    assert "| N | N0 | assumed | not recorded |" in detail
    assert "- **Assumed**: N0 and M0: no nodal or distant disease is recorded" in detail
    assert "FNCLCC differentiation 2 + mitoses 3 + necrosis 2 = 7" in detail
    assert "greatest dimension" not in detail
    assert "ajcc8" not in detail


async def test_stage_suggestion_carries_the_staging_observations(
    client: httpx.AsyncClient,
) -> None:
    body = (await client.post(SERVICE, json=hook_request("lms-thigh"))).json()
    stage = body["cards"][0]
    assert stage["selectionBehavior"] == "at-most-one"
    [suggestion] = stage["suggestions"]
    assert suggestion["label"] == (
        "Record stage IIIA (N0 and M0 assumed: no nodal or distant disease recorded)"
    )
    assert suggestion["isRecommended"] is False  # rests on the AJCC convention: not preselected
    actions = suggestion["actions"]
    assert [a["type"] for a in actions] == ["create", "create"]
    assert actions[0]["description"] == "Create pT category: pT2"
    assert actions[1]["description"] == "Create AJCC 8th edition pathologic stage group: IIIA"
    assert all(a["resource"]["resourceType"] == "Observation" for a in actions)
    assert all(a["resource"]["subject"] == {"reference": "Patient/lms-thigh"} for a in actions)


async def test_uuids_come_from_the_factory_and_are_unique(client: httpx.AsyncClient) -> None:
    body = (await client.post(SERVICE, json=hook_request("lms-thigh"))).json()
    ids = [c["uuid"] for c in body["cards"]]
    ids += [s["uuid"] for c in body["cards"] for s in c.get("suggestions", [])]
    assert all(i.startswith("00000000-0000-4000-8000-") for i in ids)
    assert len(ids) == len(set(ids))


async def test_treatment_card_links_pdq_and_a_trial_search(client: httpx.AsyncClient) -> None:
    body = (await client.post(SERVICE, json=hook_request("lms-thigh"))).json()
    [treatment] = [c for c in body["cards"] if c["summary"].startswith("Treatment options")]
    assert treatment["summary"] == "Treatment options for stage IIIA, leiomyosarcoma of left thigh"
    urls = [link["url"] for link in treatment["links"]]
    assert urls == [PDQ_URL, "https://clinicaltrials.gov/search?cond=leiomyosarcoma"]
    assert "Surgery with radiation therapy" in treatment["detail"]


async def test_gx_gives_a_data_gaps_warning(client: httpx.AsyncClient) -> None:
    body = (await client.post(SERVICE, json=hook_request("lms-gx"))).json()
    stage = body["cards"][0]
    assert stage["summary"] == "AJCC 8 stage IB (cT2 N0 M0 GX), leiomyosarcoma of left thigh"
    assert "GX" in stage["detail"]
    [gaps] = [c for c in body["cards"] if c["indicator"] == "warning"]
    assert gaps["summary"].startswith("Record mitotic count, necrosis to complete staging")
    assert "mitotic count per 10 high\\-power fields" not in gaps["detail"]  # plain text
    assert "mitotic count per 10 high-power fields" in gaps["detail"]
    assert "Possible stage groups: IB, IIIA." in gaps["detail"]


def test_data_gaps_say_how_the_stage_would_change_using_the_core(
    sequential_uuids: Callable[[], str],
) -> None:
    report = lms_thigh_gx()
    base = lms_thigh().assessment

    def what_if(inputs: Any) -> Any:
        stage = Stage.IB if inputs.grade in (None, Grade.GX, Grade.G1) else Stage.IIIA
        return replace(base, stage=stage)

    factory = CardFactory(new_uuid=sequential_uuids, observations=lambda r: [], assess=what_if)
    gaps = factory.data_gaps_card(report)
    assert gaps is not None
    assert "How the stage would change: IB if G1; IIIA if G2 or G3." in (gaps.detail or "")


async def test_discrepancy_card_names_both_values_and_the_source(
    client: httpx.AsyncClient,
) -> None:
    body = (await client.post(SERVICE, json=hook_request("lms-discrepant"))).json()
    [card] = [c for c in body["cards"] if c["summary"].startswith("Recorded")]
    assert card["indicator"] == "warning"
    assert card["summary"] == "Recorded T disagrees with computed, leiomyosarcoma of left thigh"
    assert "Recorded T3 disagrees with the greatest dimension 7\\.0 cm \\(T2\\)" in card["detail"]
    assert "pT3, Observation/lms\\-discrepant\\-pt, 2024\\-03\\-06" in card["detail"]


async def test_not_applicable_staging_explains_why_and_escapes_chart_text(
    client: httpx.AsyncClient,
) -> None:
    body = (await client.post(SERVICE, json=hook_request("angio-scalp"))).json()
    stage = body["cards"][0]
    assert stage["summary"].startswith("No AJCC 8 stage group (cT2 N0 M0 GX), angiosarcoma")
    assert "no prognostic stage grouping for head and neck" in stage["detail"]
    assert "<b>" not in stage["detail"]
    assert "\\<b\\>" in stage["detail"]
    assert "\\[see \\*note\\*\\]" in stage["detail"]
    [notes] = [c for c in body["cards"] if c["summary"].startswith("Sarcoma notes")]
    assert "Nodal evaluation" in notes["detail"]


def test_long_descriptions_are_truncated_safely(sequential_uuids: Callable[[], str]) -> None:
    report = lms_thigh()
    long = "Leiomyosarcoma of " + "very " * 60 + "long site"
    tumor = PrimaryTumor(
        condition=report.tumor.condition,
        description=long,
        inputs=report.tumor.inputs,
        classification=report.tumor.classification,
        sources=report.tumor.sources,
    )
    factory = CardFactory(
        new_uuid=sequential_uuids,
        observations=lambda r: fake_observations("p", r, effective="2024", new_id=sequential_uuids),
    )
    cards = factory.cards(
        Extraction(patient_id="p"), [TumorReport(tumor=tumor, assessment=report.assessment)]
    )
    for card in cards:
        assert len(card.summary) < 140
    assert cards[0].summary.startswith("AJCC 8 stage IIIA (pT2 N0 M0 G3), leiomyosarcoma of very")
    assert cards[0].summary.endswith("…")


def test_markdown_escaping_and_truncate_helpers() -> None:
    assert md("a*b_c <script>") == "a\\*b\\_c \\<script\\>"
    # a URL in chart text is defanged: no renderer's autolinker makes a link of it
    assert md("line\nbreak  [x](http://e)") == "line break \\[x\\]\\(http\\[:\\]//e\\)"
    assert md("see www.e.com or a@b.org \u202eX") == (
        "see www\\[\\.\\]e\\[\\.\\]com or a\\[@\\]b\\[\\.\\]org X"
    )
    assert truncate("short") == "short"
    assert len(truncate("word " * 100)) <= 139


def test_discrepancy_and_data_gaps_only_when_due(sequential_uuids: Callable[[], str]) -> None:
    factory = CardFactory(new_uuid=sequential_uuids, observations=lambda r: [])
    assert factory.discrepancy_card(lms_thigh()) is None
    assert factory.data_gaps_card(lms_thigh()) is None
    assert factory.discrepancy_card(discrepancy()) is not None
    stage = factory.stage_card(head_neck_angiosarcoma())
    assert stage.suggestions is None
    assert stage.selectionBehavior is None
