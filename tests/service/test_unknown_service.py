"""An unknown service is a 404 whatever the method (the README's promise); a known service
called with another method than POST is a 405 naming the allowed method."""

from __future__ import annotations

import httpx
import pytest

from tests.service.invariants import is_operation_outcome

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize("method", ["GET", "PUT", "PATCH", "DELETE", "HEAD"])
@pytest.mark.parametrize("path", ["/cds-services/unknown", "/cds-services/unknown/feedback"])
async def test_an_unknown_service_is_404_for_every_method(
    client: httpx.AsyncClient, method: str, path: str
) -> None:
    headers = {"content-type": "application/json"}
    response = await client.request(method, path, headers=headers)
    assert response.status_code == 404
    if method != "HEAD":
        outcome = response.json()
        assert is_operation_outcome(outcome)
        assert outcome["issue"][0]["code"] == "not-found"
        assert "unknown" in outcome["issue"][0]["diagnostics"]


@pytest.mark.parametrize(
    "path", ["/cds-services/sarcoma-staging", "/cds-services/sarcoma-staging/feedback"]
)
async def test_a_known_service_with_another_method_is_405(
    client: httpx.AsyncClient, path: str
) -> None:
    response = await client.get(path)
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    assert is_operation_outcome(response.json())
