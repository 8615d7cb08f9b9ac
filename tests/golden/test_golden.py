"""Golden CDS responses: each ``cases/*.request.json`` through the real pipeline, compared
with ``cases/*.response.json``.

The response files were reviewed for clinical correctness (README in this folder records the
review); never regenerate them blindly. To regenerate after an intended change, run
``SARCOMA_CDS_REGENERATE_GOLDEN=1 pytest tests/golden`` and review the diff.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import orjson
import pytest

from hooks.services.registry import default_pipeline
from hooks.web.settings import Settings
from tests.service.harness import app_client, sequential_uuid_factory, without_narrative
from tests.service.invariants import check_cards_response

pytestmark = pytest.mark.anyio

CASES = Path(__file__).with_name("cases")
REQUESTS = sorted(CASES.glob("*.request.json"))
REGENERATE = os.environ.get("SARCOMA_CDS_REGENERATE_GOLDEN") == "1"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = orjson.loads(path.read_bytes())
    return data


async def golden_response(request: dict[str, Any], tmp_path: Path) -> dict[str, Any]:
    settings = Settings(auth=False, db=tmp_path / "feedback.sqlite3")
    async with app_client(
        settings=settings, uuid_factory=sequential_uuid_factory(), pipeline=default_pipeline()
    ) as client:
        response = await client.post("/cds-services/sarcoma-staging", json=request)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert check_cards_response(body) == []
    return without_narrative(body)


def test_there_are_golden_cases() -> None:
    assert len(REQUESTS) >= 7


@pytest.mark.parametrize("request_file", REQUESTS, ids=lambda p: p.name.split(".")[0])
async def test_golden_response(request_file: Path, tmp_path: Path) -> None:
    body = await golden_response(load(request_file), tmp_path)
    expected_file = request_file.with_name(request_file.name.replace(".request.", ".response."))
    if REGENERATE:
        expected_file.write_bytes(orjson.dumps(body, option=orjson.OPT_INDENT_2) + b"\n")
    assert expected_file.is_file(), f"missing {expected_file.name}: regenerate and review it"
    assert body == load(expected_file), (
        f"{expected_file.name} differs: if the clinical content changed on purpose, regenerate "
        "with SARCOMA_CDS_REGENERATE_GOLDEN=1 and review the diff (tests/golden/README.md)"
    )
