"""SECURITY.md's CORS sentence and the preflight the service answers agree: the methods and
request headers it lists are exactly those allowed, and the exposed header is the one named."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest

from tests.service.conftest import SANDBOX_ORIGIN

pytestmark = pytest.mark.anyio

SECURITY = Path(__file__).resolve().parents[2] / "SECURITY.md"


def documented() -> tuple[set[str], set[str], set[str]]:
    row = next(line for line in SECURITY.read_text().splitlines() if "Cross-origin" in line)
    methods = re.search(r"methods (.*?);", row)
    headers = re.search(r"request headers: (.*?); exposed", row)
    exposed = re.search(r"exposed response header: (.*?)\.", row)
    assert methods, row
    assert headers, row
    assert exposed, row

    def names(text: str) -> set[str]:
        return {n.lower() for n in re.findall(r"`([^`]+)`", text)}

    return names(methods.group(1)), names(headers.group(1)), names(exposed.group(1))


def split(value: str) -> set[str]:
    return {v.strip().lower() for v in value.split(",") if v.strip()}


async def test_security_md_lists_what_the_preflight_allows(client: httpx.AsyncClient) -> None:
    methods, headers, exposed = documented()
    response = await client.options(
        "/cds-services/sarcoma-staging",
        headers={
            "Origin": SANDBOX_ORIGIN,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": ", ".join(sorted(headers)),
        },
    )
    assert response.status_code == 200
    assert split(response.headers["access-control-allow-methods"]) == methods
    assert split(response.headers["access-control-allow-headers"]) == headers
    answer = await client.get("/healthz", headers={"Origin": SANDBOX_ORIGIN})
    assert split(answer.headers["access-control-expose-headers"]) == exposed


async def test_a_header_not_listed_is_refused(client: httpx.AsyncClient) -> None:
    response = await client.options(
        "/cds-services/sarcoma-staging",
        headers={
            "Origin": SANDBOX_ORIGIN,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "X-Api-Key",
        },
    )
    assert response.status_code == 400
