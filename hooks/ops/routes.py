"""``/readyz``, ``/metrics`` and the 503 answer for an unavailable store: ``install(app, ...)``.

``/healthz`` (in the app) is liveness: the process answers. ``/readyz`` is readiness: the
clinical tables are loaded, the database answers and, with authentication on, the trusted
issuers file is valid; otherwise 503 with an OperationOutcome naming each failed check, so a
load balancer or Kubernetes sends no traffic to the instance until it can serve every call.

``/metrics`` is served on the service port only when ``SARCOMA_CDS_METRICS_TOKEN`` is set, and
only to a caller presenting it as a Bearer token; otherwise it is 404 there, and metrics are
read from the separate ``SARCOMA_CDS_METRICS_PORT`` (``sarcoma-cds serve``) if configured.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.responses import Response

from cds.tables import TABLES
from hooks.ops import metrics
from hooks.store.errors import StoreUnavailable
from hooks.web.errors import FHIR_JSON, REQUEST_ID_HEADER, operation_outcome, request_id
from hooks.web.settings import Settings

log = logging.getLogger("hooks.service")

#: Seconds a readiness probe waits for the database before calling it unready.
READY_DB_TIMEOUT = 2.0
RETRY_AFTER_SECONDS = "5"


def no_ping() -> None:
    """For an injected feedback store that cannot be asked (embedding, tests)."""


def install(app: FastAPI, cfg: Settings, *, ping: Any) -> None:
    """Add the routes and the store-failure handler; ``ping()`` raises when the store is down.
    (Requests are counted by ``hooks.web.edge.EdgeMiddleware``.)"""
    app.add_exception_handler(StoreUnavailable, _store_unavailable)

    @app.get("/readyz", include_in_schema=False)
    async def readyz(request: Request) -> Response:
        problems = await _readiness_problems(request.app, cfg, ping)
        if not problems:
            return Response(orjson.dumps({"status": "ready"}), media_type="application/json")
        rid = request_id(request)
        log.warning("request %s not ready: %s", rid, "; ".join(problems))
        body = {
            "resourceType": "OperationOutcome",
            "id": rid,
            "issue": [
                {"severity": "error", "code": "transient", "diagnostics": f"not ready: {p}"}
                for p in problems
            ],
        }
        return Response(
            orjson.dumps(body),
            status_code=503,
            media_type=FHIR_JSON,
            headers={REQUEST_ID_HEADER: rid, "Retry-After": RETRY_AFTER_SECONDS},
        )

    @app.get("/metrics", include_in_schema=False)
    async def metrics_endpoint(request: Request) -> Response:
        if not cfg.metrics_token:
            return operation_outcome(404, "not-found", "no such endpoint", request_id(request))
        presented = request.headers.get("authorization", "")
        expected = f"Bearer {cfg.metrics_token}"
        if not hmac.compare_digest(presented.encode(), expected.encode()):
            return Response(status_code=401, headers={"WWW-Authenticate": "Bearer"})
        body, content_type = await asyncio.to_thread(metrics.exposition)
        return Response(body, media_type=content_type)


async def _readiness_problems(app: FastAPI, cfg: Settings, ping: Any) -> list[str]:
    problems = []
    if not getattr(app.state, "warmed_up", False) or not TABLES:
        problems.append("clinical tables not loaded yet")
    try:
        await asyncio.wait_for(asyncio.to_thread(ping), READY_DB_TIMEOUT)
    except (StoreUnavailable, TimeoutError):
        problems.append("the database does not answer")
    if cfg.auth:
        problem = _issuers_problem(app)
        if problem:
            problems.append(problem)
    return problems


def _issuers_problem(app: FastAPI) -> str | None:
    """None when the authenticator is set up and its trusted issuers file (re-read: it may
    have been edited since start-up) is valid."""
    from hooks.auth.issuers import load_trusted_issuers  # noqa: PLC0415

    auth = getattr(app.state, "authenticator", None)
    if auth is None:
        return "client authentication is on but not set up"
    config = getattr(auth, "config", None)
    path = getattr(config, "trusted_issuers", None)
    if path is None:  # issuers handed in directly (embedding, tests)
        return None
    try:
        load_trusted_issuers(path, allow_http=bool(getattr(config, "allow_insecure_http", False)))
    except (ValueError, OSError) as exc:
        return f"trusted issuers file: {str(exc)[:200]}"
    return None


async def _store_unavailable(request: Request, exc: Exception) -> Response:
    operation = exc.operation if isinstance(exc, StoreUnavailable) else "store"
    metrics.STORE_UNAVAILABLE.labels(operation).inc()
    rid = request_id(request)
    log.warning("request %s answered 503: database unavailable (%s)", rid, operation)
    response = operation_outcome(503, "transient", str(exc), rid)
    response.headers["Retry-After"] = RETRY_AFTER_SECONDS
    return response
