"""The stage card's SMART link to the worksheet (CDS Hooks 2.0 Link, type ``smart``, with
``appContext`` naming the Condition), present only when the public base URL is known."""

from __future__ import annotations

from pathlib import Path

import pytest

from hooks.web.settings import Settings
from tests.service.conftest import golden_request
from tests.service.harness import app_client

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.mark.parametrize(
    ("case", "condition"),
    [
        ("lms-thigh-gx", "Condition/golden-gx-primary"),
        ("ddlps-retroperitoneum", "Condition/golden-rp-primary"),
    ],
)
async def test_the_stage_card_links_to_the_worksheet(
    tmp_path: Path, case: str, condition: str
) -> None:
    settings = Settings(
        auth=False, db=tmp_path / "db.sqlite3", public_base_url="https://cds.example.org"
    )
    async with app_client(settings=settings) as client:
        response = await client.post("/cds-services/sarcoma-staging", json=golden_request(case))
    stage_card = response.json()["cards"][0]
    (link,) = stage_card["links"]
    assert link["type"] == "smart"
    assert link["url"] == "https://cds.example.org/smart/launch"
    assert link["appContext"] == condition
    others = [
        c for c in response.json()["cards"][1:] for x in c.get("links", []) if x["type"] == "smart"
    ]
    assert others == []  # only the stage card opens the worksheet


async def test_no_link_without_the_public_base_url(tmp_path: Path) -> None:
    settings = Settings(auth=False, db=tmp_path / "db.sqlite3")
    async with app_client(settings=settings) as client:
        response = await client.post(
            "/cds-services/sarcoma-staging", json=golden_request("lms-thigh-gx")
        )
    assert "links" not in response.json()["cards"][0]
