"""Numbers beyond a double written as JSON numbers (RFC 8259 allows any size), not as strings:
in a request's prefetch, in a FHIR server's response (the fallback path) and in a file given to
``stage-fhir``. orjson refuses them; they are kept as text and reported as implausible values
on the card, instead of a 400 for the whole request or a failed FHIR query (issue 14 item 1)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from hooks import cli
from hooks.fhir.json_numbers import loads
from hooks.services.registry import default_pipeline
from hooks.web.settings import Settings
from tests.charts.build import MITOSES, PATIENT, bundle, chart, hook_request, observation
from tests.charts.run import SERVICE, unescape
from tests.service.harness import app_client, sequential_uuid_factory

PLACEHOLDER = 123456.75
LITERALS = ["1E+500000", "-1e400", "1" + "0" * 5000]


def with_literal(document: dict[str, Any], literal: str) -> bytes:
    """The document as JSON text with the mitotic count written as the raw literal."""
    text = json.dumps(document)
    assert text.count(str(PLACEHOLDER)) == 1
    return text.replace(str(PLACEHOLDER), literal).encode()


def resources() -> list[dict[str, Any]]:
    return chart(observation("mit", MITOSES, valueQuantity={"value": PLACEHOLDER}))


def test_loads_keeps_huge_numbers_as_text() -> None:
    assert loads(b'{"a": 1E+500000, "b": 2.5, "c": 7}') == {"a": "1E+500000", "b": 2.5, "c": 7}
    big = "9" * 5000
    assert loads(f'{{"a": {big}}}'.encode()) == {"a": big}
    assert loads(b'{"a": 1.5}') == {"a": 1.5}  # the orjson path, unchanged


def test_loads_still_refuses_what_is_not_json() -> None:
    with pytest.raises(ValueError, match=r"\w"):
        loads(b"<html>")
    with pytest.raises(ValueError, match=r"\w"):
        loads(b'{"a": 1E+500000, "b": }')


@pytest.mark.anyio
@pytest.mark.parametrize("literal", LITERALS)
async def test_prefetch_with_a_huge_json_number(literal: str, tmp_path: Path) -> None:
    settings = Settings(auth=False, db=tmp_path / "f.sqlite3", allow_insecure_http=True)
    body = with_literal(hook_request(resources()), literal)
    async with app_client(
        settings=settings, uuid_factory=sequential_uuid_factory(), pipeline=default_pipeline()
    ) as client:
        response = await client.post(
            SERVICE, content=body, headers={"content-type": "application/json"}
        )
    assert response.status_code == 200, response.text
    stage = unescape(response.json()["cards"][0]["detail"])
    assert "implausible value" in stage
    assert "in Observation/mit (mitotic count)" in stage


@pytest.mark.anyio
@pytest.mark.parametrize("literal", LITERALS)
async def test_fhir_server_answering_a_huge_json_number(literal: str, tmp_path: Path) -> None:
    base = "https://ehr.example.org/fhir"
    charted = resources()
    observations = [r for r in charted if r["resourceType"] == "Observation"]
    page = with_literal(
        {
            "resourceType": "Bundle",
            "type": "searchset",
            "entry": [{"resource": r} for r in observations],
        },
        literal,
    )

    def handler(request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/fhir/Observation"
        return httpx.Response(200, content=page, headers={"content-type": "application/fhir+json"})

    request = hook_request(charted)
    request["fhirServer"] = base
    request["fhirAuthorization"] = {
        "access_token": "token-for-tests",
        "token_type": "Bearer",
        "expires_in": 300,
        "scope": "patient/*.read",
        "subject": "sarcoma-cds",
    }
    request["prefetch"].pop("observations")
    settings = Settings(auth=False, db=tmp_path / "f.sqlite3", allow_insecure_http=True)
    async with app_client(
        settings=settings,
        uuid_factory=sequential_uuid_factory(),
        pipeline=default_pipeline(),
        transport=httpx.MockTransport(handler),
    ) as client:
        response = await client.post(SERVICE, json=request)
    assert response.status_code == 200, response.text
    stage = unescape(response.json()["cards"][0]["detail"])
    assert "implausible value" in stage
    assert "in Observation/mit (mitotic count)" in stage


@pytest.mark.parametrize("literal", LITERALS)
def test_stage_fhir_file_with_a_huge_json_number(
    literal: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "chart.json"
    path.write_bytes(with_literal(bundle(resources()), literal))
    assert cli.main(["stage-fhir", str(path), "--patient", PATIENT, "--json"]) == 0
    (item,) = json.loads(capsys.readouterr().out)
    said = " ".join(item["unreadable"])
    assert "implausible value" in said
    assert "Observation/mit" in said


def test_stage_fhir_refuses_infinity_which_is_not_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "chart.json"
    path.write_bytes(with_literal(bundle(resources()), "Infinity"))
    assert cli.main(["stage-fhir", str(path), "--patient", PATIENT, "--json"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert len(captured.err.splitlines()) == 1
    assert "not valid JSON" in captured.err


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"
