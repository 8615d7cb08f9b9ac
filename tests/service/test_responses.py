"""Remembered responses (hooks.services.responses): a chart answered again gets the same cards with
fresh ids and the current effective time, exactly as a direct build would give them."""

from __future__ import annotations

import copy
import json
import random
import re
import uuid
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest

from cds.assess import assess
from hooks.cards.factory import CardFactory
from hooks.fhir.emit import staging_observations as emit
from hooks.fhir.model import TumorReport
from hooks.services.responses import ResponseMemory, build_template, direct_response
from hooks.services.staging import stage_patient
from hooks.web.app import _uuid4
from hooks.web.settings import Settings
from hooks.web.wire import Card, CardSource, CardsResponse
from tests.service.harness import FIXED_NOW, app_client, sequential_uuid_factory

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "cases"
URL = "/cds-services/sarcoma-staging"
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def staged_request() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((EXAMPLES / "patient-view-staged.json").read_text())
    return data


def ids_in(text: str) -> list[str]:
    return UUID.findall(text)


def numbered(text: str) -> str:
    """The response with every uuid replaced by the order it first appears in."""
    order: dict[str, int] = {}
    return UUID.sub(lambda m: f"id-{order.setdefault(m.group(), len(order))}", text)


@pytest.mark.anyio
async def test_a_repeated_chart_gets_fresh_ids_and_the_same_cards(settings: Settings) -> None:
    async with app_client(settings=settings) as client:
        first = await client.post(URL, json=staged_request())
        second = await client.post(URL, json=staged_request())
    assert first.status_code == second.status_code == 200
    assert first.json()["cards"], "the staged example must produce cards"
    first_ids, second_ids = ids_in(first.text), ids_in(second.text)
    assert first_ids
    assert not set(first_ids) & set(second_ids)
    assert numbered(first.text) == numbered(second.text)


@pytest.mark.parametrize("case", sorted(GOLDEN.glob("*.request.json")), ids=lambda p: p.name)
def test_render_gives_the_bytes_of_a_direct_build(case: Path) -> None:
    request = json.loads(case.read_text())
    patient = request["context"]["patientId"]
    resources = [
        entry.get("resource", value) if isinstance(value, dict) else value
        for value in request.get("prefetch", {}).values()
        if isinstance(value, dict)
        for entry in (value.get("entry") or [{"resource": value}])
    ]
    extraction, reports = stage_patient(patient, resources)

    def build(new_id: Callable[[], str], effective: str) -> list[Card]:
        def observations(report: TumorReport) -> list[dict[str, Any]]:
            return emit(patient, report, effective=effective, new_id=new_id)

        return CardFactory(new_uuid=new_id, observations=observations, assess=assess).cards(
            extraction, reports
        )

    when = "2026-01-01T12:00:00Z"
    direct = orjson.dumps(CardsResponse(cards=build(sequential_uuid_factory(), when)).wire())
    template = build_template(build, notes=len(extraction.notes))
    assert template.render(sequential_uuid_factory(), when) == direct
    # The card metrics' counts are the cards' indicators in the response.
    shown = Counter(card["indicator"] for card in orjson.loads(direct)["cards"])
    assert dict(template.indicators) == shown
    # A patient's first request is built with its real ids: the same bytes and counts.
    once = direct_response(build, len(extraction.notes), sequential_uuid_factory(), when)
    assert once.render(sequential_uuid_factory(), "1999-01-01T00:00:00Z") == direct
    assert (once.once, once.notes, once.indicators) == (True, template.notes, template.indicators)


@pytest.mark.anyio
async def test_the_effective_time_follows_the_clock(settings: Settings) -> None:
    now = [FIXED_NOW]
    async with app_client(settings=settings, clock=lambda: now[0]) as client:
        await client.post(URL, json=staged_request())
        now[0] = FIXED_NOW + timedelta(days=3, seconds=5)
        body = (await client.post(URL, json=staged_request())).json()
    created = [
        action["resource"]
        for card in body["cards"]
        for suggestion in card.get("suggestions", [])
        for action in suggestion["actions"]
    ]
    assert created
    assert {r["effectiveDateTime"] for r in created} == {"2026-01-04T12:00:05Z"}


@pytest.mark.anyio
async def test_another_patient_is_never_served_this_charts_response(settings: Settings) -> None:
    other = staged_request()
    other["context"]["patientId"] = "someone-else"
    async with app_client(settings=settings) as client:
        mine = (await client.post(URL, json=staged_request())).json()
        theirs = (await client.post(URL, json=other)).json()
    assert mine["cards"][0]["summary"].startswith("AJCC 8 stage")
    # every resource belongs to another patient: none is read, and the answer says so
    [warning] = theirs["cards"]
    assert warning["indicator"] == "warning"
    assert "another patient" in warning["summary"]
    assert "AJCC 8 stage" not in json.dumps(theirs)


@pytest.mark.anyio
async def test_a_changed_chart_is_answered_anew(settings: Settings) -> None:
    changed = copy.deepcopy(staged_request())
    async with app_client(settings=settings) as client:
        before = (await client.post(URL, json=staged_request())).json()
        changed["prefetch"]["observations"]["entry"] = []  # no size, T or grade any more
        after = (await client.post(URL, json=changed)).json()
    assert "cT2" in before["cards"][0]["summary"]
    assert "cT2" not in after["cards"][0]["summary"]


SOURCE = CardSource(label="test")


def two_cards(new_id: Callable[[], str], text: str) -> list[Card]:
    return [
        Card(
            uuid=new_id(), summary="s", detail=text, indicator="info", source=CardSource(label="t")
        )
        for _ in range(2)
    ]


def test_render_fills_every_slot_in_order_and_escapes_for_json() -> None:
    template = build_template(lambda new_id, when: two_cards(new_id, f"at {when}"), notes=0)
    values = iter(['a"b', "c\\d"])
    body = json.loads(template.render(lambda: next(values), "2026-01-01T00:00:00Z"))
    assert [c["uuid"] for c in body["cards"]] == ['a"b', "c\\d"]
    assert body["cards"][0]["detail"] == "at 2026-01-01T00:00:00Z"


def test_render_refuses_ids_that_are_not_unique() -> None:
    template = build_template(lambda new_id, when: two_cards(new_id, "x"), notes=0)
    with pytest.raises(RuntimeError, match="not unique"):
        template.render(lambda: "same", "2026-01-01T00:00:00Z")


def test_response_memory_is_bounded() -> None:
    memory = ResponseMemory(kept=2)
    template = build_template(lambda new_id, when: [], notes=0)
    for n in range(5):
        memory.put(bytes([n]), template)
        assert len(memory) <= 2
    assert memory.get(bytes([4])) is template
    assert memory.get(bytes([0])) is None
    assert json.loads(template.render(lambda: "unused", datetime.now(UTC).isoformat())) == {
        "cards": []
    }


def test_service_ids_are_canonical_random_uuids() -> None:
    made = [_uuid4() for _ in range(2000)]
    assert len(set(made)) == len(made)
    for text in made[:200]:
        parsed = uuid.UUID(text)
        assert parsed.version == 4
        assert parsed.variant == uuid.RFC_4122
        assert str(parsed) == text


@pytest.mark.anyio
async def test_a_patients_first_chart_is_built_directly_and_kept_from_the_second(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from hooks.web import app as web  # noqa: PLC0415

    keys: list[str] = []
    built: list[bool] = []
    real_key, real_stage = web.chart_key, web.staged_template

    def counting_key(patient_id: str, resources: Any) -> bytes | None:
        keys.append(patient_id)
        return real_key(patient_id, resources)

    def counting_stage(*args: Any, **kwargs: Any) -> Any:
        built.append(kwargs["once"] is not None)
        return real_stage(*args, **kwargs)

    monkeypatch.setattr(web, "chart_key", counting_key)
    monkeypatch.setattr(web, "staged_template", counting_stage)
    async with app_client(settings=settings, uuid_factory=sequential_uuid_factory()) as client:
        answers = [await client.post(URL, json=staged_request()) for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 200]
    # first: built directly, no key; second: keyed, built as a template and kept; third: kept
    assert built == [True, False]
    assert len(keys) == 2
    texts = [numbered(a.text) for a in answers]
    assert texts[0] == texts[1] == texts[2]
    ids = [ids_in(a.text) for a in answers]
    assert ids[0]
    assert not set(ids[0]) & set(ids[1])
    assert not set(ids[1]) & set(ids[2])


def test_patients_asked_for_are_remembered_least_recent_first_and_bounded() -> None:
    memory = ResponseMemory(kept=2)
    assert [memory.asked_before(p) for p in ("a", "b", "a", "c")] == [False, False, True, False]
    assert memory.asked_before("b") is False  # forgotten: "a" was asked for after it
    assert memory.asked_before("c") is True
    long_id = "x" * 2000  # not kept: longer than any FHIR id
    assert [memory.asked_before(long_id) for _ in range(2)] == [False, False]


def test_a_response_built_with_real_ids_is_never_remembered() -> None:
    once = direct_response(lambda new_id, when: two_cards(new_id, "x"), 0, _uuid4, "now")
    with pytest.raises(ValueError, match="one request only"):
        ResponseMemory().put(b"key", once)


def test_a_direct_build_refuses_ids_that_are_not_unique() -> None:
    with pytest.raises(RuntimeError, match="not unique"):
        direct_response(lambda new_id, when: two_cards(new_id, "x"), 0, lambda: "same", "now")


def test_patients_asked_for_match_a_plain_least_recent_first_model() -> None:
    """The OrderedDict memory says what a list kept least recent first would say."""
    rng = random.Random(13)  # noqa: S311 (a test's reproducible choices)
    memory = ResponseMemory(kept=5)
    model: list[str] = []
    for _ in range(2000):
        patient = f"p{rng.randrange(12)}"
        expected = patient in model
        if expected:
            model.remove(patient)
        elif len(model) >= 5:
            model.pop(0)
        model.append(patient)
        assert memory.asked_before(patient) is expected
