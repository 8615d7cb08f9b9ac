"""Tokens never reach the log: redaction of every record, and the logs of refused calls."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterator

import httpx
import pytest

import hooks.auth.redact as redact_module
from hooks.auth.redact import REDACTED, RedactingFilter, install_log_redaction, redact
from hooks.ops.logs import JsonFormatter
from tests.security.test_attacks import REQUEST, call
from tests.security.tokens import Signer

JWT = (
    "eyJhbGciOiJFUzM4NCIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJodHRwczovL3NhbmRib3guY2RzLWhvb2tzLm9yZyJ9"
    ".c2lnbmF0dXJlLWJ5dGVzLWhlcmU"
)


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        (f"Authorization: Bearer {JWT}", JWT),
        ("authorization: bearer abc.DEF-123_xyz~+/==", "abc.DEF-123_xyz"),
        (f"token={JWT} and more", JWT),
        ('{"access_token": "SlAV32hkKG", "token_type": "Bearer"}', "SlAV32hkKG"),
        ("{'access_token': 'SlAV32hkKG'}", "SlAV32hkKG"),
        ("GET /cb?code=1&access_token=SlAV32hkKG&x=2", "SlAV32hkKG"),
        ("refresh_token: 8xLOxBtZp8", "8xLOxBtZp8"),
    ],
)
def test_redact(text: str, secret: str) -> None:
    cleaned = redact(text)
    assert secret not in cleaned
    assert REDACTED in cleaned


def test_redact_leaves_ordinary_text_alone() -> None:
    text = "POST /cds-services/sarcoma-staging 200 12.5ms id=1b2c; patient p1; T2 N0 M0 stage IIIA"
    assert redact(text) == text


@pytest.fixture
def redacting_factory() -> Iterator[None]:
    previous = logging.getLogRecordFactory()
    redact_module._installed = False
    install_log_redaction()
    install_log_redaction()  # idempotent
    yield
    logging.setLogRecordFactory(previous)
    redact_module._installed = False


@pytest.mark.usefixtures("redacting_factory")
def test_installed_redaction_covers_message_args_and_tracebacks(
    caplog: pytest.LogCaptureFixture,
) -> None:
    logger = logging.getLogger("anything.at.all")
    with caplog.at_level(logging.INFO):
        logger.info("header was Bearer %s", JWT)
        logger.info("body %s", {"fhirAuthorization": {"access_token": "SlAV32hkKG"}})
        logger.info("%(who)s sent %(tok)s", {"who": "ehr", "tok": JWT})
        try:
            raise ValueError(f"bad token {JWT}")
        except ValueError:
            logger.exception("failed")
    text = caplog.text
    assert JWT not in text
    assert "SlAV32hkKG" not in text
    assert text.count(REDACTED) >= 4
    assert "ehr sent" in text


def test_filter_for_handlers() -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "token %s", (JWT,), None)
    assert RedactingFilter().filter(record)
    assert JWT not in record.getMessage()


@pytest.mark.anyio
async def test_logs_of_refused_and_accepted_calls_hold_no_token(
    client: httpx.AsyncClient, sandbox_signer: Signer, caplog: pytest.LogCaptureFixture
) -> None:
    tokens = [
        sandbox_signer.token(),
        sandbox_signer.token(aud="https://evil.example.org/x"),
        sandbox_signer.token(header={"kid": "unknown"}),
        sandbox_signer.token(exp=1),
    ]
    body = {
        **REQUEST,
        "fhirServer": "https://evil.example.org/fhir",
        "fhirAuthorization": {
            "access_token": "FHIR-ACCESS-TOKEN-SlAV32hkKG",
            "token_type": "Bearer",
            "expires_in": 300,
            "scope": "patient/*.read",
            "subject": "cds-service",
        },
    }
    with caplog.at_level(logging.DEBUG):
        for token in tokens:
            response = await call(client, token, body)
            assert response.status_code in {401, 403}
            assert "SlAV32hkKG" not in response.text
    for token in tokens:
        for part in token.split("."):
            assert part not in caplog.text
    assert "SlAV32hkKG" not in caplog.text
    # The same records as SARCOMA_CDS_LOG_FORMAT=json writes them: one object per line.
    lines = [JsonFormatter().format(record) for record in caplog.records]
    assert all("\n" not in line and json.loads(line)["message"] for line in lines)
    joined = "\n".join(lines)
    for token in tokens:
        for part in token.split("."):
            assert part not in joined
    assert "SlAV32hkKG" not in joined


def test_json_lines_redact_tokens_even_in_records_made_without_the_factory() -> None:
    record = logging.LogRecord(
        "hooks.auth",
        logging.WARNING,
        __file__,
        1,
        "refused Bearer %s with %s",
        (JWT, {"fhirAuthorization": {"access_token": "SlAV32hkKG"}}),
        None,
    )
    try:
        raise ValueError(f"bad token {JWT}")
    except ValueError:
        record.exc_info = sys.exc_info()
    line = JsonFormatter().format(record)
    data = json.loads(line)
    assert "\n" not in line
    assert JWT not in line
    assert "SlAV32hkKG" not in line
    assert REDACTED in data["message"]
    assert REDACTED in data["exception"]
    assert data["level"] == "WARNING"
    assert data["logger"] == "hooks.auth"
