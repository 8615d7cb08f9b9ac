"""The resource-count limit still holds when a body carries a JSON number orjson refuses (such a
number is read as text by the application, so the limit must not be skipped as 'not JSON')."""

from __future__ import annotations

import json

import httpx
import pytest

from tests.security.test_limits import assert_outcome, echo_app

pytestmark = pytest.mark.anyio


def body(resources: int, literal: str) -> bytes:
    bundle = {
        "resourceType": "Bundle",
        "entry": [
            {"resource": {"resourceType": "Observation", "id": str(i), "valueInteger": 7}}
            for i in range(resources)
        ],
    }
    text = json.dumps({"prefetch": {"obs": bundle}})
    return text.replace('"valueInteger": 7', f'"valueInteger": {literal}', 1).encode()


@pytest.mark.parametrize("literal", ["1E+500000", "1" + "0" * 5000])
async def test_too_many_resources_with_a_huge_number_is_413(literal: str) -> None:
    transport = httpx.ASGITransport(app=echo_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
        headers = {"content-type": "application/json"}
        response = await client.post("/echo", content=body(5, literal), headers=headers)
        assert_outcome(response, 413, "too-costly")
        response = await client.post("/echo", content=body(4, literal), headers=headers)
        assert response.status_code == 200


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"
