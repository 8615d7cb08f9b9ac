"""Cards built as plain wire dicts (hooks.cards.plain) are exactly what the pydantic wire models
give: on every golden case, example and some benchmark charts (with and without the worksheet
link, as an adult and as a minor), each dict is what ``Card.model_validate(dict).wire()`` gives,
in the same key order, and the response bytes are those of the model path."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from bench import charts
from cds.assess import assess
from hooks.cards import plain
from hooks.cards.factory import CardFactory
from hooks.fhir.emit import staging_observations
from hooks.fhir.model import TumorReport
from hooks.services.bounds import (
    WorkLimits,
    bounded_cards,
    bounded_wire_cards,
    left_out_card,
    left_out_wire,
)
from hooks.services.staging import stage_patient
from hooks.web.wire import Card, CardSource, CardsResponse
from tests.service.conftest import prefetched_resources
from tests.service.harness import sequential_uuid_factory

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = sorted((ROOT / "tests" / "golden" / "cases").glob("*.request.json"))
EXAMPLES = sorted((ROOT / "examples").glob("patient-view-*.json"))
LAUNCH = "https://ehr.example.org/smart/launch?iss=x"


def requests() -> Iterator[tuple[str, dict[str, Any]]]:
    for path in [*GOLDEN, *EXAMPLES]:
        request = json.loads(path.read_text())
        if "prefetch" in request:  # not the one that makes the service query a FHIR server
            yield path.name, request
    for n in (0, 1, 7, 42):
        yield f"bench-{n}", charts.chart_request(n)


def as_minor(request: dict[str, Any]) -> dict[str, Any]:
    """The same chart for a patient born ten years ago (the pediatric card)."""
    out = copy.deepcopy(request)
    for resource in prefetched_resources(out):
        if resource.get("resourceType") == "Patient":
            resource["birthDate"] = "2018-01-01"
    return out


CASES = [
    pytest.param(request, launch, id=f"{name}-{variant}-{'link' if launch else 'nolink'}")
    for name, original in requests()
    for variant, request in (("adult", original), ("minor", as_minor(original)))
    for launch in (None, LAUNCH)
]


def factory_for(
    request: dict[str, Any], launch: str | None
) -> tuple[Any, Any, Callable[[], CardFactory]]:
    patient = request["context"]["patientId"]
    extraction, reports = stage_patient(patient, prefetched_resources(request))

    def factory() -> CardFactory:
        new_id = sequential_uuid_factory()

        def observations(report: TumorReport) -> list[dict[str, Any]]:
            return staging_observations(
                patient, report, effective="2026-01-01T12:00:00Z", new_id=new_id
            )

        return CardFactory(
            new_uuid=new_id, observations=observations, assess=assess, launch_url=launch
        )

    return extraction, reports, factory


@pytest.mark.parametrize(("request_body", "launch"), CASES)
def test_wire_cards_are_the_models_output(request_body: dict[str, Any], launch: str | None) -> None:
    extraction, reports, factory = factory_for(request_body, launch)
    wire = factory().wire_cards(extraction, reports)
    models = factory().cards(extraction, reports)
    for card in wire:
        assert orjson.dumps(Card.model_validate(card).wire()) == orjson.dumps(card)
    model_bytes = orjson.dumps(CardsResponse(cards=models).wire())
    assert orjson.dumps({"cards": wire}) == model_bytes


def test_the_cases_cover_every_kind_of_card() -> None:
    kinds: set[str] = set()
    for request_body, launch in (p.values for p in CASES):
        extraction, reports, factory = factory_for(request_body, launch)  # type: ignore[arg-type]
        for card in factory().wire_cards(extraction, reports):
            kinds.add(card["summary"].split(" ", 2)[0])
            kinds.update(k for k in card if k in {"suggestions", "links", "detail"})
            kinds.update(link["type"] for link in card.get("links", ()))
    assert {"suggestions", "links", "detail", "smart", "absolute"} <= kinds
    assert {"AJCC", "Treatment", "Record", "Recorded", "Sarcoma", "Patient"} <= kinds


@pytest.mark.parametrize("primaries", [(), ("Condition/a", "Condition/b*")])
@pytest.mark.parametrize("cards", [0, 3])
@pytest.mark.parametrize("too_large", [0, 12345])
def test_the_left_out_card_is_the_models_output(
    primaries: tuple[str, ...], cards: int, too_large: int
) -> None:
    limits = WorkLimits()
    wire = left_out_wire(
        sequential_uuid_factory(),
        primaries=primaries,
        cards=cards,
        too_large=too_large,
        limits=limits,
    )
    model = left_out_card(
        sequential_uuid_factory(),
        primaries=primaries,
        cards=cards,
        too_large=too_large,
        limits=limits,
    )
    assert orjson.dumps(model.wire()) == orjson.dumps(wire)


def test_bounded_wire_cards_match_bounded_cards() -> None:
    limits = WorkLimits(max_cards=3)
    source = CardSource(label="t")
    models = [
        Card(uuid=f"c{n}", summary=f"s{n}", indicator="info", source=source) for n in range(5)
    ]
    wires = [m.wire() for m in models]
    for count in range(6):
        for left_out in ((), ("Condition/x",)):
            got = bounded_wire_cards(
                wires[:count], sequential_uuid_factory(), left_out=left_out, limits=limits
            )
            want = bounded_cards(
                models[:count], sequential_uuid_factory(), left_out=left_out, limits=limits
            )
            assert orjson.dumps(got) == orjson.dumps([c.wire() for c in want])
    assert len(wires) == 5  # the caller's list is not changed


def test_plain_cards_refuse_what_the_model_refuses() -> None:
    source = plain.source(CardSource(label="t"))
    with pytest.raises(ValueError, match="at most 139"):
        plain.card(uuid="u", summary="x" * 140, indicator="info", source=source)
    plain.card(uuid="u", summary="x" * 139, indicator="info", source=source)
    suggestion = plain.suggestion(label="l", uuid="s")
    with pytest.raises(ValueError, match="selectionBehavior"):
        plain.card(uuid="u", summary="s", indicator="info", source=source, suggestions=[suggestion])
