"""Interoperability: HealthChain's CDS Hooks response model (PyPI ``healthchain``,
``healthchain.models.responses.cdsresponse.CDSResponse``) parses every response we give for
the golden charts. Its model requires ``isRecommended`` on suggestions and ``autoLaunchable``
on links (both optional in CDS Hooks 2.0), ``selectionBehavior`` with suggestions, absolute
URLs and summaries under 140 characters.

HealthChain runs in its own virtual environment (``tests/compat/healthchain.txt`` says why);
``make setup`` creates it. ``SARCOMA_CDS_HEALTHCHAIN_PYTHON`` may point at another one.
"""

from __future__ import annotations

import copy
import os
import subprocess
from pathlib import Path
from typing import Any

import orjson
import pytest

from hooks.services.registry import default_pipeline
from hooks.web.settings import Settings
from tests.golden.test_golden import REQUESTS, load
from tests.service.harness import app_client, sequential_uuid_factory

pytestmark = pytest.mark.anyio

ROOT = Path(__file__).parents[2]
PYTHON = Path(
    os.environ.get("SARCOMA_CDS_HEALTHCHAIN_PYTHON", ROOT / ".venv-healthchain" / "bin" / "python")
)
PARSE = """
import json, sys
from healthchain.models.responses.cdsresponse import CDSResponse
for i, body in enumerate(json.load(sys.stdin)):
    try:
        CDSResponse.model_validate(body)
        print(i, "ok")
    except Exception as exc:
        print(i, "rejected:", " ".join(str(exc).split())[:500])
"""


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def healthchain_verdicts(bodies: list[dict[str, Any]]) -> list[str]:
    assert PYTHON.exists(), (
        f"{PYTHON} is missing: `make setup` creates the HealthChain environment "
        "(tests/compat/healthchain.txt)"
    )
    done = subprocess.run(
        [str(PYTHON), "-c", PARSE],
        input=orjson.dumps(bodies),
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr.decode(errors="replace")[-2000:]
    lines = done.stdout.decode().splitlines()
    assert len(lines) == len(bodies), done.stdout
    return [line.split(" ", 1)[1] for line in lines]


async def our_responses(tmp_path: Path) -> list[dict[str, Any]]:
    settings = Settings(auth=False, db=tmp_path / "feedback.sqlite3")
    bodies = []
    async with app_client(
        settings=settings, uuid_factory=sequential_uuid_factory(), pipeline=default_pipeline()
    ) as client:
        for path in REQUESTS:
            response = await client.post("/cds-services/sarcoma-staging", json=load(path))
            assert response.status_code == 200, response.text
            bodies.append(response.json())
    return bodies


async def test_healthchain_parses_every_response_for_the_golden_charts(tmp_path: Path) -> None:
    bodies = await our_responses(tmp_path)
    suggestions = [s for b in bodies for c in b["cards"] for s in c.get("suggestions", [])]
    links = [link for b in bodies for c in b["cards"] for link in c.get("links", [])]
    assert len(suggestions) >= 4
    assert len(links) >= 10
    assert healthchain_verdicts(bodies) == ["ok"] * len(bodies)


async def test_healthchain_rejects_what_it_would_have_rejected_before(tmp_path: Path) -> None:
    # The control: without isRecommended or autoLaunchable (as this service answered before),
    # HealthChain's model refuses the response, so the test above can fail.
    body = next(
        b for b in await our_responses(tmp_path) if any("suggestions" in c for c in b["cards"])
    )
    no_recommended = copy.deepcopy(body)
    for card in no_recommended["cards"]:
        for suggestion in card.get("suggestions", []):
            suggestion.pop("isRecommended")
    no_auto_launch = copy.deepcopy(body)
    for card in no_auto_launch["cards"]:
        for link in card.get("links", []):
            link.pop("autoLaunchable")
    verdicts = healthchain_verdicts([no_recommended, no_auto_launch])
    assert verdicts[0].startswith("rejected")
    assert "isRecommended" in verdicts[0]
    assert verdicts[1].startswith("rejected")
    assert "autoLaunchable" in verdicts[1]
