"""Log lines for people (``text``) or for log shippers (``json``: one object per line).

Every JSON line has ``time``, ``level``, ``logger``, ``message`` and the request's
``correlation_id`` (the ``X-Request-ID`` answered to the client) when logged while serving a
request; the per-request line adds ``method``, ``path``, ``service``, ``status`` and
``duration_ms``. Record messages are already redacted by ``hooks.auth.redact`` when created;
the formatter redacts the final text once more, so no token reaches a line. Nothing from a
request body (patient data) is ever logged.
"""

from __future__ import annotations

import logging
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

import orjson

from hooks.auth.redact import redact

#: The correlation id of the request being served (set by ``hooks.web.edge.EdgeMiddleware``).
CORRELATION_ID: ContextVar[str | None] = ContextVar("sarcoma_cds_correlation_id", default=None)

#: ``extra=`` fields copied into JSON lines when a record carries them.
FIELDS = ("method", "path", "service", "status", "duration_ms")

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"


def request_log_fields(scope: Any, status: int, duration_ms: float) -> dict[str, Any]:
    """``extra=`` for the one line logged per request (the path holds no patient data: CDS
    Hooks paths name the service only; the query string is left out)."""
    from hooks.ops.metrics import endpoint_of  # noqa: PLC0415

    path = str(scope.get("path", ""))
    state = scope.get("state") or {}
    return {
        "correlation_id": state.get("request_id") if isinstance(state, dict) else None,
        "method": scope.get("method", "-"),
        "path": path[:200],
        "service": endpoint_of(path)[1],
        "status": status,
        "duration_ms": duration_ms,
    }


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": redact(record.getMessage()),
        }
        rid = getattr(record, "correlation_id", None) or CORRELATION_ID.get()
        if rid:
            line["correlation_id"] = rid
        for name in FIELDS:
            value = getattr(record, name, None)
            if value is not None:
                line[name] = value
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            line["exception"] = redact(record.exc_text)
        return orjson.dumps(line, default=str).decode()


def formatter(log_format: str) -> logging.Formatter:
    return JsonFormatter() if log_format == "json" else logging.Formatter(TEXT_FORMAT)


def uvicorn_log_config(level: str, log_format: str) -> dict[str, Any]:
    """``uvicorn.run(log_config=...)``: uvicorn's own lines in the same format as ours."""
    fmt: dict[str, Any] = (
        {"()": "hooks.ops.logs.JsonFormatter"} if log_format == "json" else {"format": TEXT_FORMAT}
    )
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"default": fmt},
        "handlers": {
            "default": {
                "class": "logging.StreamHandler",
                "formatter": "default",
                "stream": "ext://sys.stderr",
            }
        },
        "loggers": {
            "uvicorn": {"handlers": ["default"], "level": level, "propagate": False},
            "uvicorn.error": {"level": level},
        },
    }
