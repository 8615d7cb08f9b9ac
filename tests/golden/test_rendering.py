"""Every golden card's Markdown rendered as a CDS client would (CommonMark + GFM tables and
autolinks, markdown-it-py with linkify-it): links go where we mean them to, chart text stays
inert (no HTML, no link, no bidi control), stage cards fit the size budget, and no internal
table id or row key reaches card text."""

from __future__ import annotations

import copy
import json
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from markdown_it import MarkdownIt
from markdown_it.token import Token

from cds.assess import assess
from hooks.cards.common import PDQ_URL
from hooks.cards.factory import CardFactory
from hooks.cards.markdown import BIDI_CONTROLS
from hooks.cards.treatment import trials_url
from hooks.fhir import codes
from hooks.fhir.emit import staging_observations
from hooks.services.staging import stage_patient
from hooks.web.wire import CardsResponse
from tests.golden.test_golden import CASES, load

RESPONSES = sorted(CASES.glob("*.response.json"))
RENDERER = MarkdownIt("gfm-like")  # tables, strikethrough, linkify (GFM autolinks), HTML on
TRIAL_TERMS = ("leiomyosarcoma", "dedifferentiated liposarcoma", "angiosarcoma", "synovial sarcoma")
INTENDED = {PDQ_URL, *(trials_url(t) for t in TRIAL_TERMS)}
TABLES = [
    *Path(assess.__code__.co_filename).with_name("tables").glob("*.toml"),
    *Path(codes.__file__).with_name("tables").glob("*.toml"),
]
TABLE_IDS = sorted(tomllib.loads(p.read_text(encoding="utf-8"))["id"] for p in TABLES)
# The stage card's budget: read in ten seconds (issue: "at most about 12 lines").
MAX_TEXT_LINES = 12
MAX_LINES = 16
MAX_CHARS = 1400
PAYLOAD = (
    "<img src=x onerror=alert(1)> <b>bold</b> [click](https://evil.example/a) "
    "<https://evil.example/b> https://evil.example/c www.evil.com mail@evil.com evil.org "
    "| a | b | \u202eevil\u202c \u2066x\u2069 \u200f"
)


def golden_cards() -> Iterator[tuple[str, dict[str, Any]]]:
    for path in RESPONSES:
        for card in load(path)["cards"]:
            yield path.name.split(".")[0], card


def walk(tokens: list[Token]) -> Iterator[Token]:
    for token in tokens:
        yield token
        if token.children:
            yield from walk(token.children)


def rendered(detail: str) -> list[Token]:
    return list(walk(RENDERER.parse(detail)))


def hrefs(detail: str) -> list[str]:
    return [str(t.attrs["href"]) for t in rendered(detail) if t.type == "link_open"]


def assert_inert(detail: str, allowed: set[str]) -> None:
    tokens = rendered(detail)
    html = [t.content for t in tokens if t.type in {"html_inline", "html_block"}]
    assert html == [], html
    assert set(hrefs(detail)) <= allowed, hrefs(detail)
    text = "".join(t.content for t in tokens if t.type == "text")
    assert not set(text) & set(BIDI_CONTROLS)
    assert "evil.example" not in "".join(hrefs(detail))


def test_every_golden_case_has_cards_to_render() -> None:
    assert len([card for _, card in golden_cards()]) >= 20


@pytest.mark.parametrize("path", RESPONSES, ids=lambda p: p.name.split(".")[0])
def test_every_link_in_golden_markdown_goes_where_intended(path: Path) -> None:
    for card in load(path)["cards"]:
        detail = card["detail"]
        assert_inert(detail, {PDQ_URL})
        links = hrefs(detail)
        assert all("%5C" not in h and "\\" not in h for h in links)
        # a URL is always a link, never text (an escaped URL shows its backslashes)
        text = "".join(t.content for t in rendered(detail) if t.type == "text")
        assert "http" not in text
        assert "www" not in text
        if card["summary"].startswith(("AJCC 8 stage", "No AJCC 8 stage group")):
            assert links == [PDQ_URL]  # the sources line cites NCI PDQ once
        if card["summary"].startswith("Treatment options"):
            assert links == [PDQ_URL]
            assert next(link["url"] for link in card["links"]) == PDQ_URL


def test_link_objects_are_intended_and_never_auto_launched() -> None:
    found = [link for _, card in golden_cards() for link in card.get("links", [])]
    assert len(found) >= 10
    for link in found:
        assert link["url"] in INTENDED
        assert link["type"] == "absolute"
        assert link["autoLaunchable"] is False
    assert {link["url"] for link in found} >= {PDQ_URL, trials_url("leiomyosarcoma")}


def test_stage_cards_fit_the_size_budget() -> None:
    stage_cards = [
        card
        for _, card in golden_cards()
        if card["summary"].startswith(("AJCC 8 stage", "No AJCC 8 stage group"))
    ]
    assert len(stage_cards) == 6
    for card in stage_cards:
        lines = card["detail"].splitlines()
        assert len([line for line in lines if line.strip()]) <= MAX_TEXT_LINES, card["summary"]
        assert len(lines) <= MAX_LINES, card["summary"]
        assert len(card["detail"]) <= MAX_CHARS, card["summary"]


def test_no_internal_table_id_or_row_key_in_card_text() -> None:
    assert "ajcc8-stage-trunk-extremity" in TABLE_IDS  # the ids are really read
    for case, card in golden_cards():
        words = json.dumps(
            [card["summary"], card["detail"], [s["label"] for s in card.get("suggestions", [])]]
        ).replace("\\\\", "")
        for table in TABLE_IDS:
            assert table not in words, (case, table)
        assert " row " not in words, case


def test_chart_text_stays_inert_through_the_real_pipeline() -> None:
    # The golden leiomyosarcoma chart with hostile text where an EHR puts free text: the
    # Condition's text (the tumor's description) and the size Observation's unit text.
    request = copy.deepcopy(load(CASES / "lms-thigh-g3.request.json"))
    prefetch = request["prefetch"]
    condition = prefetch["conditions"]["entry"][0]["resource"]
    condition["code"]["text"] = f"Leiomyosarcoma {PAYLOAD}"
    condition["bodySite"][0]["text"] = PAYLOAD
    resources = [
        prefetch["patient"],
        *(e["resource"] for e in prefetch["conditions"]["entry"]),
        *(e["resource"] for e in prefetch["observations"]["entry"]),
    ]
    extraction, reports = stage_patient("golden-lms", resources)
    assert reports
    factory = CardFactory(
        new_uuid=iter(str(i) for i in range(1000)).__next__,
        observations=lambda r: staging_observations(
            "golden-lms", r, effective="2026-01-01T00:00:00Z", new_id=lambda: "x"
        ),
        assess=assess,
    )
    cards = factory.cards(extraction, reports)
    body = CardsResponse(cards=cards).wire()
    shown = json.dumps([[c["summary"], c["detail"]] for c in body["cards"]], ensure_ascii=False)
    assert "evil" in shown  # the text is shown, as text
    assert not set(shown) & set(BIDI_CONTROLS)
    for card in body["cards"]:
        assert_inert(card["detail"], {PDQ_URL})


def test_chart_text_stays_inert_in_every_card_kind() -> None:
    # Hand-built: hostile text in every place chart text reaches a card (description, source
    # values, extraction notes, facts that could not be read, recorded values that disagree).
    from dataclasses import replace  # noqa: PLC0415

    from hooks.fhir.model import Extraction, Source  # noqa: PLC0415
    from tests.service.reports import discrepancy, lms_thigh_gx  # noqa: PLC0415

    hostile = []
    for report in (discrepancy(), lms_thigh_gx()):
        sources = {k: replace(s, text=PAYLOAD) for k, s in report.tumor.sources.items()}
        sources["t"] = Source(reference="Observation/x", text=PAYLOAD, date="2024-01-01")
        tumor = replace(
            report.tumor,
            description=PAYLOAD,
            sources=sources,
            notes=(PAYLOAD,),
            unreadable=(PAYLOAD,),
        )
        hostile.append(replace(report, tumor=tumor))
    factory = CardFactory(
        new_uuid=iter(str(i) for i in range(1000)).__next__, observations=lambda r: []
    )
    extraction = Extraction(patient_id="p", notes=(PAYLOAD,), other_patient=1)
    body = CardsResponse(cards=factory.cards(extraction, hostile)).wire()
    kinds = {c["summary"].split(",")[0] for c in body["cards"]}
    assert len(body["cards"]) >= 6, kinds
    for card in body["cards"]:
        assert not set(card["summary"]) & set(BIDI_CONTROLS)
        assert_inert(card["detail"], {PDQ_URL})
    details = "\n".join(c["detail"] for c in body["cards"])
    assert "Could not read" in details  # the unreadable facts are shown
