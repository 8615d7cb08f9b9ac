"""The fallback path: no prefetch, so the service queries the EHR's FHIR server itself.

A real FHIR R4 server process (the one the fallback tests use) is loaded with the bench
patient. We time the FHIR server answering the service's own queries, issued concurrently as
the service issues them, and then the service answering a patient-view call that needs them.
The difference of the medians is what the service adds over the FHIR server's own latency.
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

import httpx
import orjson

from bench import request
from hooks.services.prefetch import PREFETCH_TEMPLATES, render
from tests.service.fhir_server import free_port, running_fhir_server

CALLS = 200
__all__ = ["free_port", "measure"]


class _Server(Protocol):
    url: str

    def start(self, body: bytes) -> Any: ...
    def stop(self) -> None: ...


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def _fhir_alone(base: str, token: str) -> list[float]:
    queries = [render(t, request.PATIENT) for t in PREFETCH_TEMPLATES.values()]
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/fhir+json"}
    timings = []
    async with httpx.AsyncClient(base_url=base + "/", headers=headers) as client:
        for _ in range(CALLS):
            started = time.perf_counter()
            responses = await asyncio.gather(*(client.get(q) for q in queries))
            timings.append((time.perf_counter() - started) * 1000)
            for response in responses:
                response.raise_for_status()
    return timings


def _service_calls(url: str, body: bytes) -> list[float]:
    timings = []
    with httpx.Client(headers={"Content-Type": "application/json"}, timeout=10) as client:
        for _ in range(CALLS):
            started = time.perf_counter()
            response = client.post(url, content=body)
            timings.append((time.perf_counter() - started) * 1000)
            if response.status_code != 200 or not response.json()["cards"]:
                raise SystemExit(f"fallback call failed: {response.status_code} {response.text}")
    return timings


def measure(server_cls: Callable[[str, int], _Server], _env: Any, path: str) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp, running_fhir_server(Path(tmp)) as fhir:
        for resource in request.fhir_resources():
            fhir.put(resource)
        body = request.patient_view_request(with_prefetch=False, fhir_server=fhir.base)
        body["fhirAuthorization"]["access_token"] = fhir.token
        raw = orjson.dumps(body)
        service = server_cls("hooks.app:app", 1)
        service.start(raw)
        try:
            # Alternate the two measurements so both see the same machine conditions.
            alone: list[float] = []
            through: list[float] = []
            for _ in range(2):
                alone += asyncio.run(_fhir_alone(fhir.base, fhir.token))
                through += _service_calls(service.url + path, raw)
        finally:
            service.stop()
    fhir_p50, service_p50 = statistics.median(alone), statistics.median(through)
    return {
        "calls": float(len(through)),
        "fhir_server_p50_ms": round(fhir_p50, 2),
        "fhir_server_p99_ms": round(_percentile(alone, 0.99), 2),
        "service_p50_ms": round(service_p50, 2),
        "service_p99_ms": round(_percentile(through, 0.99), 2),
        "added_p50_ms": round(service_p50 - fhir_p50, 2),
        "added_p99_ms": round(_percentile(through, 0.99) - _percentile(alone, 0.99), 2),
    }
