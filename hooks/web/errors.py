"""Failures as HTTP: the only place an exception becomes a response.

Every error body is a FHIR OperationOutcome (CDS Hooks 2.0 asks for 412 with one when data is
unobtainable; 3.0 recommends one for every error) carrying the request's correlation id, which
is also sent in the ``X-Request-ID`` header and written to the log line. Bodies never hold a
traceback, a token or request content. Authentication failures are a bare 401.
"""

from __future__ import annotations

import logging
import re

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response
from starlette.types import Scope

from hooks.web.ids import uuid4_text

log = logging.getLogger("hooks.service")

REQUEST_ID_HEADER = "X-Request-ID"
_INCOMING_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._\-]{7,63}")
FHIR_JSON = "application/fhir+json"


class ServiceError(Exception):
    """A failure with a status code and a message safe to show to the caller."""

    status_code = 500
    issue_code = "exception"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class BadRequest(ServiceError):
    status_code = 400
    issue_code = "invalid"


class ServiceNotFound(ServiceError):
    status_code = 404
    issue_code = "not-found"


class DataUnavailable(ServiceError):
    """Required FHIR data could be neither read from prefetch nor fetched (412)."""

    status_code = 412
    issue_code = "incomplete"


class AuthenticationError(Exception):
    """Raised by an authenticator: the response is a bare 401 with no detail."""


def request_id(request: Request) -> str:
    rid = getattr(request.state, "request_id", None)
    return rid if isinstance(rid, str) else uuid4_text()


def operation_outcome(
    status_code: int, code: str, message: str, rid: str, severity: str = "error"
) -> Response:
    body = {
        "resourceType": "OperationOutcome",
        "id": rid,
        "issue": [
            {
                "severity": severity,
                "code": code,
                "diagnostics": f"{message} (correlation id {rid})",
            }
        ],
    }
    return Response(
        orjson.dumps(body),
        status_code=status_code,
        media_type=FHIR_JSON,
        headers={REQUEST_ID_HEADER: rid},
    )


def _validation_message(exc: RequestValidationError) -> str:
    parts = []
    for err in exc.errors()[:5]:
        loc = ".".join(str(p) for p in err.get("loc", ()) if p != "body")
        msg = str(err.get("msg", "invalid"))
        # pydantic messages never echo input values here (we drop ``input``), so no token leaks
        parts.append(f"{loc}: {msg}" if loc else msg)
    return "invalid request: " + "; ".join(parts) if parts else "invalid request"


async def _service_error(request: Request, exc: Exception) -> Response:
    if not isinstance(exc, ServiceError):  # registered for this type only
        raise exc
    rid = request_id(request)
    log.info("request %s rejected: %s %s", rid, exc.status_code, exc.message)
    return operation_outcome(exc.status_code, exc.issue_code, exc.message, rid)


async def _validation_error(request: Request, exc: Exception) -> Response:
    if not isinstance(exc, RequestValidationError):  # registered for this type only
        raise exc
    rid = request_id(request)
    message = _validation_message(exc)
    log.info("request %s rejected: 400 %s", rid, message)
    return operation_outcome(400, "invalid", message, rid)


async def _http_error(request: Request, exc: Exception) -> Response:
    if not isinstance(exc, StarletteHTTPException):  # registered for this type only
        raise exc
    rid = request_id(request)
    code = {404: "not-found", 405: "not-supported", 413: "too-long"}.get(
        exc.status_code, "processing"
    )
    message = {404: "no such endpoint", 405: "method not allowed"}.get(
        exc.status_code, str(exc.detail)
    )
    response = operation_outcome(exc.status_code, code, message, rid)
    if exc.headers:
        response.headers.update(exc.headers)
    return response


async def _authentication_error(request: Request, exc: Exception) -> Response:
    rid = request_id(request)
    log.info("request %s rejected: 401 authentication failed", rid)
    # RFC 6750 section 3: a 401 names the scheme; no error detail (it would be an oracle).
    return Response(status_code=401, headers={REQUEST_ID_HEADER: rid, "WWW-Authenticate": "Bearer"})


def _internal_error_response(rid: str, exc: BaseException) -> Response:
    # The traceback goes to the log (never to the caller); the log never holds bodies or tokens.
    log.error("request %s failed: %s", rid, type(exc).__name__, exc_info=exc)
    return operation_outcome(500, "exception", "internal error", rid, severity="fatal")


async def _internal_error(request: Request, exc: Exception) -> Response:
    # Last resort for a failure outside hooks.web.edge.EdgeMiddleware's own handling.
    return _internal_error_response(request_id(request), exc)


def install_exception_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ServiceError, _service_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(AuthenticationError, _authentication_error)
    app.add_exception_handler(Exception, _internal_error)


def _incoming_id(scope: Scope) -> str | None:
    for key, value in scope.get("headers", []):
        if key in (b"x-request-id", b"x-correlation-id"):
            text = bytes(value).decode("latin-1")
            if _INCOMING_ID.fullmatch(text):
                return text
    return None


def _scope_request_id(scope: Scope) -> str:
    state = scope.get("state") or {}
    rid = state.get("request_id") if isinstance(state, dict) else None
    return rid if isinstance(rid, str) else uuid4_text()


def _refused_preflight(refusal: Response, rid: str) -> Response:
    text = bytes(refusal.body).decode("utf-8", "replace")
    failures = text.removeprefix("Disallowed CORS ").strip() or "request"
    message = f"CORS preflight refused: {failures} not allowed"
    log.info("request %s rejected: %s %s", rid, refusal.status_code, message)
    response = operation_outcome(refusal.status_code, "forbidden", message, rid)
    for key, value in refusal.headers.items():
        if key.lower() not in {"content-type", "content-length"}:
            response.headers[key] = value
    return response
