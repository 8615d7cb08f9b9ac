"""Keep credentials out of logs: bearer tokens, JWTs and FHIR access tokens are redacted.

``install_log_redaction()`` wraps the log record factory, so it covers every logger and
every handler, including ones configured later (uvicorn's): a record's message, arguments
and traceback text are redacted when the record is created, before any handler sees it.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Any

REDACTED = "[REDACTED]"

_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # A compact JWS/JWT anywhere: base64url JSON header ("eyJ") and two more segments.
    (re.compile(r"eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*"), REDACTED),
    # Authorization header values, whatever the token looks like.
    (re.compile(r"(?i)\b(bearer\s+)[A-Za-z0-9\-._~+/]+=*"), rf"\1{REDACTED}"),
    # access_token / id_token / refresh_token in JSON, Python reprs, query strings, forms.
    (
        re.compile(r"(?i)((?:access|id|refresh)_token['\"]?\s*[:=]\s*['\"]?)[^'\"\s,&;}\]]+"),
        rf"\1{REDACTED}",
    ),
)

_installed = False


def redact(text: str) -> str:
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def _redact_value(value: Any) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, int | float | bool) or value is None:
        return value
    try:
        text = str(value)
    except Exception:
        return value
    cleaned = redact(text)
    return value if cleaned == text else cleaned


def redact_record(record: logging.LogRecord) -> None:
    """Redact one record in place (message, arguments, traceback text)."""
    if isinstance(record.msg, str):
        record.msg = redact(record.msg)
    elif record.msg is not None:
        record.msg = _redact_value(record.msg)
    if isinstance(record.args, tuple):
        record.args = tuple(_redact_value(a) for a in record.args)
    elif isinstance(record.args, Mapping):
        record.args = {k: _redact_value(v) for k, v in record.args.items()}
    if record.exc_info and not record.exc_text:
        record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
    elif record.exc_text:
        record.exc_text = redact(record.exc_text)
    if record.stack_info:
        record.stack_info = redact(record.stack_info)


class RedactingFilter(logging.Filter):
    """For handlers that bypass the record factory (records rebuilt from pickles, queues)."""

    def filter(self, record: logging.LogRecord) -> bool:
        redact_record(record)
        return True


def install_log_redaction() -> None:
    """Redact every log record from now on, in this process. Idempotent."""
    global _installed  # noqa: PLW0603 (one process-wide switch)
    if _installed:
        return
    previous = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        redact_record(record)
        return record

    logging.setLogRecordFactory(factory)
    _installed = True
