"""The CDS Hooks service (https://cds-hooks.hl7.org/2.0/): ``create_app`` and ``app``.

``hooks.app:app`` is what uvicorn serves. Settings come from ``SARCOMA_CDS_*`` variables
(``hooks.web.settings``); a bad value fails at import, a missing authenticator while
authentication is on fails at start-up (lifespan), never at the first request.
"""

from __future__ import annotations

import functools
import gc
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any, Protocol, TypeVar

import anyio
import anyio.to_thread
import httpx
import orjson
from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse, Response
from fastapi.telemetry import TelemetryConfig
from pydantic import ValidationError

from cds.assess import assess
from cds.model import SiteGroup, TumorInputs
from hooks.api import install as install_api
from hooks.auth import AuthenticationError as JwtAuthenticationError
from hooks.auth.redact import install_log_redaction
from hooks.fhir import json_numbers, r4b, shape
from hooks.fhir.client import FhirClient
from hooks.ops import metrics
from hooks.ops import routes as ops_routes
from hooks.ops.logs import formatter as log_formatter
from hooks.services.bounds import WorkLimits, staged_template
from hooks.services.inline import inline
from hooks.services.order_review import ORDER_HOOKS, review_orders
from hooks.services.prefetch import gather_for_call
from hooks.services.registry import REGISTRY, CdsService, Pipeline, default_pipeline
from hooks.services.responses import ResponseMemory
from hooks.services.staging import chart_key
from hooks.smart import install as install_smart
from hooks.smart import launch_url
from hooks.store.database import describe as describe_db
from hooks.store.database import open_database
from hooks.store.errors import StoreUnavailable
from hooks.store.feedback import FeedbackRecord, FeedbackStore, add_feedback
from hooks.store.replay import ReplayStore
from hooks.web import unknown_routes
from hooks.web.edge import EdgeMiddleware
from hooks.web.errors import (
    BadRequest,
    ServiceNotFound,
    install_exception_handlers,
    operation_outcome,
    request_id,
)
from hooks.web.ids import uuid4_text
from hooks.web.plain_route import PlainRoute
from hooks.web.settings import AUTH_OFF_WARNING, LOCALHOST_ORIGIN_REGEX, Settings
from hooks.web.wire import Discovery, FeedbackRequest, HookRequest

log = logging.getLogger("hooks.service")

_M = TypeVar("_M", HookRequest, FeedbackRequest)

#: FastAPI's own OpenTelemetry instrumentation, off (``Settings.opentelemetry``).
_NO_TELEMETRY: TelemetryConfig = {"tracing": False, "metrics": False, "logs": False}


class Authenticator(Protocol):
    """What the app needs from client authentication (implemented in ``hooks.auth``).

    ``authenticate`` returns the caller's identity or raises an exception that maps to a bare
    401. An authenticator may also have ``check_fhir_server(identity, url)`` (raising when the
    client may not make us call ``url``) and a ``discovery_open`` attribute.
    """

    async def authenticate(self, request: Request) -> Any: ...


class StartupError(RuntimeError):
    """The service cannot start as configured; the message says which setting to fix."""


class OrjsonResponse(JSONResponse):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


class JsonBody(Response):
    """A 200 ``application/json`` answer of serialized bytes: the status, headers and attributes
    ``Response(body, media_type="application/json")`` gives, without its general header
    building (0.45 us a request less)."""

    def __init__(self, body: bytes) -> None:
        self.status_code = 200
        self.media_type = "application/json"
        self.background = None
        self.body = body
        self.raw_headers = [
            (b"content-length", str(len(body)).encode("latin-1")),
            (b"content-type", b"application/json"),
        ]


def _configure_logging(level: str, log_format: str = "text") -> None:
    """One line per request and per refusal on stderr (text or JSON, ``hooks.ops.logs``),
    unless logging is configured already (by the embedding server or a test harness)."""
    logger = logging.getLogger("hooks")
    logger.setLevel(level)
    if not logger.handlers and not logging.getLogger().handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(log_formatter(log_format))
        logger.addHandler(handler)


def _uuid4() -> str:
    """A random (version 4) UUID as text, as ``str(uuid.uuid4())`` gives it (``hooks.web.ids``:
    a response needs a dozen of them)."""
    return uuid4_text()


def _now() -> datetime:
    return datetime.now(UTC)


async def _authenticated(request: Request) -> Any:
    """The caller's identity from the configured authenticator (None with auth off)."""
    auth: Authenticator | None = request.app.state.authenticator
    if auth is None:
        return None
    return await auth.authenticate(request)


async def _discovery_caller(request: Request) -> Any:
    settings: Settings = request.app.state.settings
    auth = request.app.state.authenticator
    if settings.discovery_open or auth is None or getattr(auth, "discovery_open", False):
        return None
    return await _authenticated(request)


Identity = Annotated[Any, Depends(_authenticated)]
DiscoveryIdentity = Annotated[Any, Depends(_discovery_caller)]


def create_app(
    settings: Settings | None = None,
    *,
    uuid_factory: Callable[[], str] = _uuid4,
    clock: Callable[[], datetime] = _now,
    transport: httpx.AsyncBaseTransport | None = None,
    authenticator: Authenticator | None = None,
    pipeline: Pipeline | None = None,
    feedback_store: FeedbackStore | None = None,
) -> FastAPI:
    """Build the app. Tests inject ``uuid_factory``, ``clock``, ``transport`` (for FHIR
    faults), ``authenticator``, ``pipeline`` and ``feedback_store``."""
    cfg = settings if settings is not None else Settings.from_env()
    install_log_redaction()
    shape.set_strict(cfg.strict_fhir)  # SARCOMA_CDS_STRICT_FHIR: every resource read via R4B
    database = open_database(cfg.db, pool_size=cfg.db_pool_size, timeout=cfg.db_timeout)
    store: FeedbackStore = feedback_store or database.feedback

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        _configure_logging(cfg.log_level, cfg.log_format)
        try:
            if feedback_store is None:
                database.initialize()
            else:
                store.initialize()
        except StoreUnavailable:
            raise StartupError(
                f"SARCOMA_CDS_DB ({describe_db(cfg.db)}): the database cannot be reached"
            ) from None
        _warm_up()
        app.state.warmed_up = True
        fhir_limits = httpx.Limits(max_connections=100, max_keepalive_connections=20)
        async with httpx.AsyncClient(
            transport=metrics.instrument(transport, fhir_limits),
            timeout=httpx.Timeout(cfg.fhir_timeout),
            follow_redirects=False,
            trust_env=False,
            limits=fhir_limits,
        ) as http:
            auth = authenticator
            owned = None
            if auth is None and cfg.auth:
                auth = owned = _default_authenticator(cfg, database.replay)
            if auth is None:
                log.warning(AUTH_OFF_WARNING)
            app.state.authenticator = auth
            app.state.fhir = FhirClient(
                http, timeout=cfg.fhir_timeout, max_pages=cfg.fhir_max_pages
            )
            try:
                yield
            finally:
                close = getattr(owned, "aclose", None)
                if close is not None:
                    await close()
                database.close()

    app = FastAPI(
        title="sarcoma-cds",
        summary="CDS Hooks decision support: soft tissue sarcoma staging (AJCC 8th edition)",
        default_response_class=OrjsonResponse,
        lifespan=lifespan,
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
        # FastAPI asks OpenTelemetry for its providers on every request (about 4 us) unless its
        # telemetry is off; it is off unless SARCOMA_CDS_OPENTELEMETRY asks for it.
        telemetry=None if cfg.opentelemetry else _NO_TELEMETRY,
    )
    app.state.settings = cfg
    app.state.authenticator = authenticator
    install_exception_handlers(app)
    app.add_exception_handler(JwtAuthenticationError, _bare_401)
    _install_fhir_server_refusal(app)

    _install_middleware(app, cfg)

    _install_routes(
        app, cfg, store=store, pipeline=pipeline, uuid_factory=uuid_factory, clock=clock
    )
    install_smart(app, cfg, clock=clock, new_id=uuid_factory)
    install_api(app, clock=clock, new_id=uuid_factory)
    ops_routes.install(app, cfg, ping=getattr(store, "ping", ops_routes.no_ping))
    unknown_routes.install(app)
    return app


def _install_routes(
    app: FastAPI,
    cfg: Settings,
    *,
    store: FeedbackStore,
    pipeline: Pipeline | None,
    uuid_factory: Callable[[], str],
    clock: Callable[[], datetime],
) -> None:
    resolved: dict[str, Pipeline] = {}
    responses = ResponseMemory()
    if pipeline is not None:
        resolved["p"] = pipeline

    def get_pipeline() -> Pipeline:
        if "p" not in resolved:
            resolved["p"] = default_pipeline(max_primaries=cfg.max_primaries)
        return resolved["p"]

    work = WorkLimits(
        max_primaries=cfg.max_primaries,
        max_cards=cfg.max_cards,
        max_response_bytes=cfg.max_response_bytes,
    )
    limiters: list[anyio.CapacityLimiter] = []

    def limiter() -> anyio.CapacityLimiter:
        """Calls staged at once (made on first use, inside the running event loop)."""
        if not limiters:
            limiters.append(anyio.CapacityLimiter(cfg.staging_threads))
        return limiters[0]

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/cds-services")
    async def discovery(_: DiscoveryIdentity) -> dict[str, Any]:
        return Discovery(services=[s.describe() for s in REGISTRY.values()]).wire()

    async def call_service(service_id: str, request: Request) -> Any:
        # Called directly by its route (hooks.web.plain_route: FastAPI's parameter and
        # dependency resolution cost about 0.03 ms per call); the caller is authenticated here,
        # first, as the ``Identity`` dependency did.
        identity = await _authenticated(request)
        service = _service(service_id)
        hook_request = _parse(HookRequest, await request.body())
        if service.hook in ORDER_HOOKS:  # order review: hooks/services/order_review.py
            return await review_orders(
                request,
                service,
                hook_request,
                identity,
                settings=cfg,
                new_id=uuid_factory,
                limiter=limiter(),
            )
        if hook_request.hook != service.hook:
            raise BadRequest(f"service {service.id} answers the {service.hook} hook only")
        resources = await gather_for_call(request, hook_request, service.prefetch, cfg, identity)
        steps = get_pipeline()
        patient_id = hook_request.context.patientId
        effective = clock().isoformat(timespec="seconds").replace("+00:00", "Z")
        # A chart answered before is answered from its remembered template; a patient's first
        # chart is built directly, without a key or a template (hooks.services.responses).
        # Staging and card building are CPU work, bounded per call (hooks.services.bounds) and
        # run in a worker thread, a few at a time, so that a large chart never stalls the event
        # loop: health checks and other patients are still served.
        key = chart_key(patient_id, resources) if responses.asked_before(patient_id) else None
        template = responses.get(key) if key is not None else None
        if template is None:
            stage = functools.partial(
                staged_template,
                steps,
                patient_id,
                resources,
                work,
                launch_url=launch_url(cfg),
                observe=metrics.observe_staging,
                once=None if key is not None else (uuid_factory, effective),
            )
            # A chart of ordinary size takes a millisecond or two: staged inline, since handing
            # it to a thread costs more than that under the GIL (measured: about a sixth of the
            # throughput on new charts). Larger charts go to the worker threads.
            if inline(resources):
                template = stage()
            else:
                template = await anyio.to_thread.run_sync(stage, limiter=limiter())
            if key is not None:
                responses.put(key, template)
        if template.notes:
            log.warning(
                "request %s: %d data note(s) from extraction (e.g. resources ignored)",
                request_id(request),
                template.notes,
            )
        body = template.render(uuid_factory, effective)
        metrics.observe_cards(service.id, template.indicators)
        return JsonBody(body)

    app.router.add_api_route(
        "/cds-services/{service_id}",
        call_service,
        methods=["POST"],
        route_class_override=PlainRoute,
    )

    @app.post("/cds-services/{service_id}/feedback")
    async def feedback(service_id: str, request: Request, _: Identity) -> dict[str, int]:
        service = _service(service_id)
        body = _parse(FeedbackRequest, await request.body())
        records = [
            FeedbackRecord(
                service_id=service.id,
                card=entry.card,
                outcome=entry.outcome,
                outcome_timestamp=entry.outcomeTimestamp,
                accepted_suggestions=tuple(s.id for s in entry.acceptedSuggestions or ()),
                override_system=(r.reason.system or "")
                if (r := entry.overrideReason) and r.reason
                else "",
                override_code=r.reason.code if r and r.reason else "",
                override_display=(r.reason.display or "") if r and r.reason else "",
                user_comment=(r.userComment or "") if r else "",
            )
            for entry in body.feedback
        ]
        added = await add_feedback(store, records)
        metrics.observe_feedback((r.outcome for r in records), added)
        return {"received": len(records), "stored": added}


def _install_middleware(app: FastAPI, cfg: Settings) -> None:
    """One layer (``hooks.web.edge``), outermost first: request metrics, request id, CORS (so
    refusals carry CORS headers), internal errors (so a 500 is answered inside CORS), body
    limits."""
    app.add_middleware(
        EdgeMiddleware,
        allow_origins=list(cfg.cors_origins),
        allow_origin_regex=LOCALHOST_ORIGIN_REGEX if cfg.cors_allow_localhost else None,
        # Chrome's Private Network Access: a public page (the hosted Sandbox) calling localhost
        allow_private_network=True,
        allow_methods=["GET", "POST", "OPTIONS"],
        allow_headers=["Authorization", "Content-Type", "X-Request-ID", "X-Correlation-ID"],
        expose_headers=["X-Request-ID"],
        max_age=600,
    )


def _warm_up() -> None:
    """Pay start-up costs before the first request, then keep the cyclic garbage collector off
    the objects that live as long as the process.

    Importing and exercising the R4B models and the clinical tables takes a fraction of a
    second that the first clinician would otherwise wait for. The models and tables leave about
    a hundred thousand objects tracked by the collector; every full collection would walk them
    all again (tens of milliseconds each, in the middle of a request). ``gc.freeze`` moves what
    exists after start-up out of the collector's view; objects made later are collected as usual.

    A request allocates thousands of short-lived objects (parsed JSON, validation, cards), so
    with the default thresholds (700, 10, 10) the young generation is collected several times
    per request and full collections come every few hundred requests. Measured over 3,000
    requests for new charts: 620 ms in the collector with the defaults (longest pause 43 ms),
    75 ms with (20000, 20, 20) (longest pause 17 ms).
    """
    r4b.warm()
    assess(TumorInputs(site=SiteGroup.TRUNK_EXTREMITY, size_cm=Decimal(7), histology="8890/3"))
    gc.collect()
    gc.freeze()
    gc.set_threshold(20_000, 20, 20)


def _service(service_id: str) -> CdsService:
    service = REGISTRY.get(service_id)
    if service is None:
        raise ServiceNotFound(f"no CDS service with id {service_id!r}"[:200])
    return service


def _parse(model: type[_M], raw: bytes) -> _M:
    try:
        data = json_numbers.loads(raw)  # numbers beyond a double are kept as text, not refused
    except ValueError:
        raise BadRequest("the body is not valid JSON") from None
    if not isinstance(data, dict):
        raise BadRequest("the body must be a JSON object")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise BadRequest(_describe(exc)) from None


def _describe(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors(include_input=False, include_url=False)[:5]:
        loc = ".".join(str(p) for p in err["loc"])
        parts.append(f"{loc}: {err['msg']}" if loc else str(err["msg"]))
    return "invalid request: " + "; ".join(parts)


async def _bare_401(request: Request, exc: Exception) -> Any:
    from hooks.web.errors import REQUEST_ID_HEADER  # noqa: PLC0415

    log.info("request %s rejected: 401", request_id(request))
    metrics.observe_auth_refusal(str(getattr(exc, "reason", "")))
    headers = {REQUEST_ID_HEADER: request_id(request), "WWW-Authenticate": "Bearer"}
    return Response(status_code=401, headers=headers)


def _install_fhir_server_refusal(app: FastAPI) -> None:
    try:
        from hooks.auth import FhirServerNotAllowed  # noqa: PLC0415
    except ImportError:  # pragma: no cover
        return

    async def refuse(request: Request, exc: Exception) -> Any:
        rid = request_id(request)
        log.info("request %s rejected: 403 fhirServer not allowed", rid)
        return operation_outcome(403, "forbidden", "fhirServer is not allowed for this client", rid)

    app.add_exception_handler(FhirServerNotAllowed, refuse)


def _default_authenticator(cfg: Settings, replay: ReplayStore | None = None) -> Authenticator:
    """``hooks.auth.Authenticator`` from the environment; any problem stops start-up."""
    try:
        from hooks.auth import Authenticator as JwtAuthenticator  # noqa: PLC0415
    except ImportError as exc:  # pragma: no cover
        raise StartupError(
            "SARCOMA_CDS_AUTH is on but no authenticator is available (hooks.auth): "
            "set SARCOMA_CDS_AUTH=off for local development only"
        ) from exc
    try:
        from hooks.auth import AuthConfig  # noqa: PLC0415

        built: Authenticator = JwtAuthenticator(AuthConfig.from_settings(cfg), replay_store=replay)
    except ValueError as exc:
        raise StartupError(
            f"client authentication is on (SARCOMA_CDS_AUTH) but not configured: {exc}. "
            "Set it up (see SECURITY.md) or set SARCOMA_CDS_AUTH=off on a development machine."
        ) from None
    return built


app = create_app()
