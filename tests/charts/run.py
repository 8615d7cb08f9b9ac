"""Both contracts a chart is checked through: ``sarcoma-cds stage-fhir --json`` (in process,
from a file) and the patient-view service (the real pipeline, in process over ASGI)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from hooks import cli
from hooks.services.registry import default_pipeline
from hooks.web.settings import Settings
from tests.charts.build import bundle, hook_request
from tests.service.harness import app_client, sequential_uuid_factory
from tests.service.invariants import check_cards_response

SERVICE = "/cds-services/sarcoma-staging"


def stage_fhir(
    resources: list[dict[str, Any]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> list[dict[str, Any]]:
    """The ``stage-fhir --json`` array for a chart written as one Bundle file."""
    path = tmp_path / "chart.json"
    path.write_text(json.dumps(bundle(resources)), encoding="utf-8")
    capsys.readouterr()
    code = cli.main(["stage-fhir", str(path), "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    data: list[dict[str, Any]] = json.loads(out)
    return data


async def service_cards(resources: list[dict[str, Any]], tmp_path: Path) -> list[dict[str, Any]]:
    """The cards the patient-view service answers for a chart given as prefetch."""
    settings = Settings(auth=False, db=tmp_path / "feedback.sqlite3", allow_insecure_http=True)
    async with app_client(
        settings=settings, uuid_factory=sequential_uuid_factory(), pipeline=default_pipeline()
    ) as client:
        response = await client.post(SERVICE, json=hook_request(resources))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert check_cards_response(body) == []
    cards: list[dict[str, Any]] = body["cards"]
    return cards


def unescape(markdown: str) -> str:
    """Card Markdown with the escapes of ``hooks.cards.factory.md`` removed, for assertions."""
    return markdown.replace("\\", "")
