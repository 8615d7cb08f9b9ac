"""What one call may cost is bounded: primaries staged, cards returned, response bytes; what is
left out is named on a warning card (hooks.services.bounds)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import orjson
import pytest

from hooks.services.registry import default_pipeline
from hooks.web.settings import Settings, SettingsError
from tests.security.patients import condition, patient, searchset
from tests.service.conftest import ClientFactory
from tests.service.invariants import check_cards_response

pytestmark = pytest.mark.anyio

SERVICE = "/cds-services/sarcoma-staging"
PID = "many-primaries"


def many_primaries(count: int) -> dict[str, Any]:
    """One patient whose chart names ``count`` primary leiomyosarcomas (s0, s1, ...)."""
    conditions = []
    for i in range(count):
        resource = condition(PID)
        resource["id"] = f"s{i}"
        resource["code"]["text"] = f"Leiomyosarcoma number {i}"
        # No site: Conditions with the same histology and site would be merged as duplicate
        # records of one tumor (hooks.fhir.context.duplicates); these are distinct primaries.
        del resource["bodySite"]
        conditions.append(resource)
    return {
        "hook": "patient-view",
        "hookInstance": "6d3c8a2e-51f3-4a55-9d43-0f0c3c1a9e77",
        "context": {"userId": "Practitioner/example", "patientId": PID},
        "prefetch": {
            "patient": patient(PID),
            "conditions": searchset(*conditions),
            "observations": searchset(),
        },
    }


async def call(make_client: ClientFactory, settings: Settings, body: dict[str, Any]) -> Any:
    async with make_client(settings=settings, pipeline=default_pipeline()) as client:
        response = await client.post(SERVICE, json=body)
    assert response.status_code == 200
    return response


def stage_cards(cards: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [c for c in cards if c["summary"].startswith(("AJCC 8", "Preliminary: AJCC 8"))]


async def test_primaries_beyond_the_limit_are_named_not_staged(
    make_client: ClientFactory, settings: Settings
) -> None:
    response = await call(make_client, replace(settings, max_primaries=3), many_primaries(25))
    cards = response.json()["cards"]
    check_cards_response(response.json())
    assert len(stage_cards(cards)) == 3
    notice = cards[-1]
    assert notice["indicator"] == "warning"
    assert "left out" in notice["summary"]
    assert "Not staged: Condition/s3, Condition/s4" in notice["detail"]
    assert "Condition/s22" in notice["detail"]  # 20 named: s3 to s22
    assert "Condition/s23" not in notice["detail"]
    assert "and 2 more" in notice["detail"]
    assert "Decision support only" in notice["detail"]


async def test_cards_beyond_the_limit_are_counted_on_the_last_card(
    make_client: ClientFactory, settings: Settings
) -> None:
    everything = await call(make_client, settings, many_primaries(3))
    total = len(everything.json()["cards"])
    assert total > 4
    response = await call(make_client, replace(settings, max_cards=4), many_primaries(3))
    cards = response.json()["cards"]
    assert len(cards) == 4
    first = [c["summary"] for c in everything.json()["cards"][:3]]
    assert [c["summary"] for c in cards[:3]] == first
    assert f"{total - 3} more card(s) were not shown" in cards[-1]["detail"]


async def test_a_response_over_the_byte_limit_is_one_card_saying_so(
    make_client: ClientFactory, settings: Settings
) -> None:
    bounded = replace(settings, max_response_bytes=65_536)
    response = await call(make_client, bounded, many_primaries(10))
    [card] = response.json()["cards"]
    assert card["indicator"] == "warning"
    assert "more than one answer may hold (65536); none are shown" in card["detail"]
    assert len(response.content) < 65_536


async def test_a_hostile_chart_is_answered_within_the_default_limits(
    make_client: ClientFactory, settings: Settings
) -> None:
    """5,000 primaries (about 5 MB): before, 5,000 staged primaries and a response of about
    100 MB; now 10 staged primaries, at most 50 cards and at most 2 MiB."""
    body = many_primaries(5_000)
    assert len(orjson.dumps(body)) < 5 * 1024 * 1024
    response = await call(make_client, settings, body)
    cards = response.json()["cards"]
    assert len(stage_cards(cards)) == Settings().max_primaries == 10
    assert len(cards) <= Settings().max_cards == 50
    assert len(response.content) <= Settings().max_response_bytes
    assert "and 4970 more" in cards[-1]["detail"]


async def test_a_chart_within_the_limits_gets_no_notice(
    make_client: ClientFactory, settings: Settings
) -> None:
    response = await call(make_client, settings, many_primaries(2))
    cards = response.json()["cards"]
    assert len(stage_cards(cards)) == 2
    assert not any("left out" in c["summary"] for c in cards)


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("SARCOMA_CDS_MAX_PRIMARIES", "0"),
        ("SARCOMA_CDS_MAX_CARDS", "1"),
        ("SARCOMA_CDS_MAX_RESPONSE_BYTES", "1000"),
        ("SARCOMA_CDS_STAGING_THREADS", "zero"),
    ],
)
def test_bad_limits_stop_start_up_naming_the_variable(variable: str, value: str) -> None:
    with pytest.raises(SettingsError, match=variable):
        Settings.from_env({variable: value})
