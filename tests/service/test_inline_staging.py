"""Which charts are staged on the event loop and which in the worker threads
(hooks/services/inline.py). An ordinary chart costs a millisecond or two and is
staged inline; a larger one goes to the threads, so that it never stalls other patients."""

from __future__ import annotations

from typing import Any

import anyio.to_thread
import pytest

from bench.charts import chart_request
from hooks.services import inline
from tests.service.conftest import ClientFactory

pytestmark = pytest.mark.anyio

SERVICE = "/cds-services/sarcoma-staging"


def _large(request: dict[str, Any], n: int) -> dict[str, Any]:
    entries = request["prefetch"]["observations"]["entry"]
    for k in range(n):
        copy = {**entries[0], "resource": {**entries[0]["resource"], "id": f"extra-{k}"}}
        entries.append(copy)
    return request


def test_resources_are_counted_one_by_one() -> None:
    request = chart_request(1)
    prefetch = list(request["prefetch"].values())
    entries = sum(len(v["entry"]) for v in prefetch if v["resourceType"] == "Bundle")
    assert inline.resource_count(prefetch) == entries + 1  # and the Patient


async def test_an_ordinary_chart_is_staged_inline_a_large_one_in_a_thread(
    make_client: ClientFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    threaded: list[object] = []
    run_sync = anyio.to_thread.run_sync

    async def counting(func: Any, *args: Any, **kwargs: Any) -> Any:
        threaded.append(func)
        return await run_sync(func, *args, **kwargs)

    monkeypatch.setattr(anyio.to_thread, "run_sync", counting)
    async with make_client() as client:
        small = chart_request(2)
        assert inline.resource_count(list(small["prefetch"].values())) <= (inline.INLINE_RESOURCES)
        response = await client.post(SERVICE, json=small)
        assert response.status_code == 200
        assert threaded == []
        large = _large(chart_request(3), inline.INLINE_RESOURCES)
        response = await client.post(SERVICE, json=large)
        assert response.status_code == 200
        assert len(threaded) == 1


def test_many_draft_orders_go_to_a_thread_even_with_a_small_chart() -> None:
    chart = list(chart_request(4)["prefetch"].values())
    assert inline.inline(chart)
    assert inline.inline(chart, inline.INLINE_ORDERS)
    assert not inline.inline(chart, inline.INLINE_ORDERS + 1)
    assert not inline.inline(list(_large(chart_request(5), 100)["prefetch"].values()))
