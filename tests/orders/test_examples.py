"""The order review examples in examples/ get the cards examples/README.md says they get."""

from __future__ import annotations

from pathlib import Path

import httpx
import orjson
import pytest

from tests.service.invariants import check_cards_response

pytestmark = pytest.mark.anyio

EXAMPLES = Path(__file__).parents[2] / "examples"


@pytest.mark.parametrize(
    ("name", "service", "summaries"),
    [
        (
            "order-select-pazopanib-liposarcoma.json",
            "sarcoma-therapy-select",
            [
                "Pazopanib: not for adipocytic sarcoma (liposarcoma)",
                "Pazopanib: approved after prior chemotherapy; none on record",
            ],
        ),
        (
            "order-sign-eribulin-leiomyosarcoma.json",
            "sarcoma-therapy-sign",
            ["Eribulin: approved for liposarcoma; this histology is not"],
        ),
    ],
)
async def test_order_examples(
    client: httpx.AsyncClient, name: str, service: str, summaries: list[str]
) -> None:
    body = orjson.loads((EXAMPLES / name).read_bytes())
    response = await client.post(f"/cds-services/{service}", json=body)
    assert response.status_code == 200, response.text
    assert check_cards_response(response.json()) == []
    assert [c["summary"] for c in response.json()["cards"]] == summaries
