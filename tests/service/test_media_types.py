"""Every POST of the service parses its body as JSON, so a body must be declared as JSON: a
chart labelled ``text/plain``, form or multipart no longer slips past the depth and
resource-count limits (it is a 415 OperationOutcome before any parser sees it)."""

from __future__ import annotations

import orjson
import pytest

from tests.service.conftest import ClientFactory, hook_request
from tests.service.invariants import is_operation_outcome

pytestmark = pytest.mark.anyio

PATHS = ("/cds-services/sarcoma-staging", "/cds-services/sarcoma-staging/feedback")


def heavy_request(count: int = 30_000) -> bytes:
    body = hook_request()
    body["prefetch"]["conditions"]["entry"] = [
        {"resource": {"resourceType": "Condition", "id": f"c{i}"}} for i in range(count)
    ]
    return orjson.dumps(body)


@pytest.mark.parametrize(
    "content_type",
    [
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=----x",
        None,
    ],
)
async def test_non_json_bodies_are_415(
    make_client: ClientFactory, content_type: str | None
) -> None:
    headers = {"content-type": content_type} if content_type else {}
    deep = b'{"hook": ' + b"[" * 900 + b"]" * 900 + b"}"
    async with make_client() as client:
        for path in PATHS:
            for body in (heavy_request(), deep, orjson.dumps(hook_request())):
                response = await client.post(path, content=body, headers=headers)
                assert response.status_code == 415, (path, content_type)
                outcome = response.json()
                assert is_operation_outcome(outcome)
                assert outcome["issue"][0]["code"] == "not-supported"
                assert response.headers["X-Request-ID"] in outcome["issue"][0]["diagnostics"]


async def test_the_same_bodies_as_json_meet_the_limits(make_client: ClientFactory) -> None:
    async with make_client() as client:
        headers = {"content-type": "application/fhir+json; charset=utf-8"}
        response = await client.post(PATHS[0], content=heavy_request(), headers=headers)
        assert response.status_code == 413
        ok = await client.post(PATHS[0], content=orjson.dumps(hook_request()), headers=headers)
        assert ok.status_code == 200
