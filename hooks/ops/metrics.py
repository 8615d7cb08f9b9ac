"""Prometheus metrics: counts and durations only, never patient data or tokens.

With ``PROMETHEUS_MULTIPROC_DIR`` set (``sarcoma-cds serve`` creates and removes it) every
uvicorn worker writes its values to files there and a scrape adds them up across workers
(``prometheus_client.multiprocess``); without it (one process) the values live in memory.
Label values come from fixed sets (service ids of the registry, card indicators, AJCC stage
groups, refusal categories), so a caller cannot create new series.
"""

from __future__ import annotations

import functools
import os
import time
from collections.abc import Iterable
from typing import Any

import httpx
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
    start_http_server,
)

from hooks.ops.metrics_env import MULTIPROC_ENV
from hooks.services.registry import REGISTRY as SERVICES

_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

REQUESTS = Counter(
    "sarcoma_cds_http_requests",
    "HTTP requests answered, by endpoint, CDS service and status code",
    ["endpoint", "service", "status"],
)
DURATION = Histogram(
    "sarcoma_cds_http_request_duration_seconds",
    "Time to answer an HTTP request, by endpoint and CDS service",
    ["endpoint", "service"],
    buckets=_BUCKETS,
)
CARDS = Counter(
    "sarcoma_cds_cards", "Cards returned, by CDS service and indicator", ["service", "indicator"]
)
STAGE_GROUPS = Counter(
    "sarcoma_cds_stage_groups",
    "Tumours staged (computed, not answered from memory), by AJCC 8th edition stage group",
    ["stage_group"],
)
STATUSES = Counter(
    "sarcoma_cds_staging_statuses", "Tumours staged (computed), by staging status", ["status"]
)
FHIR_CALLS = Counter(
    "sarcoma_cds_fhir_requests",
    "HTTP requests to CDS clients' FHIR servers (prefetch fallback), by outcome",
    ["outcome"],
)
FHIR_DURATION = Histogram(
    "sarcoma_cds_fhir_request_duration_seconds",
    "Duration of one FHIR fallback HTTP request",
    buckets=_BUCKETS,
)
AUTH_REFUSALS = Counter(
    "sarcoma_cds_auth_refusals", "Requests refused by client authentication, by reason", ["reason"]
)
FEEDBACK = Counter("sarcoma_cds_feedback", "Feedback entries received, by outcome", ["outcome"])
FEEDBACK_STORED = Counter(
    "sarcoma_cds_feedback_stored", "Feedback entries newly stored (repeats are stored once)"
)
STORE_UNAVAILABLE = Counter(
    "sarcoma_cds_store_unavailable",
    "Calls answered 503 because the database could not be used, by operation",
    ["operation"],
)

# Authentication refusal messages (hooks.auth.jwt) by category: first match wins.
_REFUSALS = (
    ("replay", "replay"),
    ("no Authorization header", "missing-token"),
    ("ExpiredSignature", "expired"),
    ("InvalidAudience", "audience"),
    ("InvalidSignature", "signature"),
    ("issuer", "issuer"),
    ("tenant", "tenant"),
    ("algorithm", "algorithm"),
    ("jku", "key"),
    ("kid", "key"),
    ("Authorization", "malformed"),
    ("Bearer", "malformed"),
    ("compact JWS", "malformed"),
    ("undecodable", "malformed"),
)


def endpoint_of(path: str) -> tuple[str, str]:
    """(endpoint, CDS service id) for a request path; unknown service ids become ``-``."""
    parts = [p for p in path.split("/") if p]
    if parts[:1] != ["cds-services"]:
        known = {"healthz", "readyz", "metrics"}
        return (parts[0] if len(parts) == 1 and parts[0] in known else "other"), "-"
    if len(parts) == 1:
        return "discovery", "-"
    service = parts[1] if parts[1] in SERVICES else "-"
    if len(parts) == 2:
        return "service", service
    if len(parts) == 3 and parts[2] == "feedback":
        return "feedback", service
    return "other", "-"


@functools.lru_cache(maxsize=512)
def _request_series(path: str, status: int) -> tuple[Any, Any]:
    """The request counter's and duration histogram's series for a path and status, looked up
    once: label lookups cost about 5 us per request. Keyed by path, so bounded (LRU): a client
    can send any path, but the series are still only those ``endpoint_of`` names."""
    endpoint, service = endpoint_of(path)
    return REQUESTS.labels(endpoint, service, str(status)), DURATION.labels(endpoint, service)


def observe_request(path: str, status: int, seconds: float) -> None:
    """Count and time one HTTP request (``hooks.web.edge.EdgeMiddleware``, for every request)."""
    requests, duration = _request_series(path, status)
    requests.inc()
    duration.observe(seconds)


@functools.lru_cache(maxsize=256)
def _card_series(service: str, kind: str) -> Any:
    return CARDS.labels(service, kind)


def observe_cards(service: str, indicators: Iterable[tuple[str, int]]) -> None:
    """Count one response's cards by indicator (``(indicator, count)`` pairs)."""
    for kind, count in indicators:
        if count:
            _card_series(service, kind).inc(count)


@functools.lru_cache(maxsize=64)
def _status_series(status: str) -> Any:
    return STATUSES.labels(status)


@functools.lru_cache(maxsize=64)
def _stage_series(stage_group: str) -> Any:
    return STAGE_GROUPS.labels(stage_group)


def observe_staging(reports: Iterable[Any]) -> None:
    """Count each staged tumor by status and stage group. The series are looked up once per
    label value (the labels are AJCC enums: a fixed set): two ``labels`` calls cost about
    3 us per report."""
    for report in reports:
        assessment = report.assessment
        _status_series(str(assessment.status)).inc()
        stage = assessment.stage
        _stage_series(str(stage) if stage is not None else "none").inc()


def observe_auth_refusal(reason: str) -> None:
    category = next((cat for needle, cat in _REFUSALS if needle in reason), "other")
    AUTH_REFUSALS.labels(category).inc()


def observe_feedback(outcomes: Iterable[str], stored: int) -> None:
    for outcome in outcomes:
        FEEDBACK.labels(outcome).inc()
    FEEDBACK_STORED.inc(stored)


class InstrumentedTransport(httpx.AsyncBaseTransport):
    """Counts and times every FHIR fallback request (wraps the client's transport)."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self._inner = inner

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        started = time.perf_counter()
        try:
            response = await self._inner.handle_async_request(request)
        except httpx.TimeoutException:
            FHIR_CALLS.labels("timeout").inc()
            raise
        except httpx.HTTPError:
            FHIR_CALLS.labels("error").inc()
            raise
        finally:
            FHIR_DURATION.observe(time.perf_counter() - started)
        code = response.status_code
        FHIR_CALLS.labels("ok" if code < 300 else f"http-{code // 100}xx").inc()
        return response

    async def aclose(self) -> None:
        await self._inner.aclose()


def instrument(
    transport: httpx.AsyncBaseTransport | None, limits: httpx.Limits
) -> httpx.AsyncBaseTransport:
    """The FHIR client's transport, counted (the default one built with ``limits``)."""
    inner = transport or httpx.AsyncHTTPTransport(limits=limits, trust_env=False)
    return InstrumentedTransport(inner)


def registry() -> CollectorRegistry:
    """What a scrape reads: every worker's values in multiprocess mode."""
    if os.environ.get(MULTIPROC_ENV):
        collected = CollectorRegistry()
        multiprocess.MultiProcessCollector(collected)  # type: ignore[no-untyped-call]
        return collected
    return REGISTRY


def exposition() -> tuple[bytes, str]:
    return generate_latest(registry()), CONTENT_TYPE_LATEST


def start_metrics_server(host: str, port: int) -> None:
    """Serve ``/metrics`` on its own port from this (the supervising) process."""
    start_http_server(port, addr=host, registry=registry())
