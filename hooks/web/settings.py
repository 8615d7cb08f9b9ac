"""Service settings from ``SARCOMA_CDS_*`` environment variables, validated at start-up.

A small stdlib loader (no pydantic-settings): every variable has an embedded default so that
``sarcoma-cds serve`` starts with nothing configured, and a bad value stops start-up with a
message naming the variable.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

PREFIX = "SARCOMA_CDS_"

# Browser clients on this machine: the CDS Hooks Sandbox run locally, or a page on localhost.
LOCALHOST_ORIGIN_REGEX = r"https?://(localhost|127\.0\.0\.1|\[::1\])(:[0-9]{1,5})?"


class SettingsError(ValueError):
    """A ``SARCOMA_CDS_*`` variable has a value the service cannot use."""


def _parse_bool(raw: str) -> bool:
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ValueError("expected on/off, true/false, yes/no or 1/0")


def _parse_positive_float(raw: str) -> float:
    value = float(raw)
    if not 0 < value < float("inf"):  # also refuses NaN
        raise ValueError("expected a positive number of seconds")
    return value


def _parse_positive_int(raw: str) -> int:
    value = int(raw)
    if value < 1:
        raise ValueError("expected a positive integer")
    return value


def _parse_at_least(minimum: int) -> Callable[[str], int]:
    def parse(raw: str) -> int:
        value = int(raw)
        if value < minimum:
            raise ValueError(f"expected an integer of at least {minimum}")
        return value

    return parse


def _parse_origins(raw: str) -> tuple[str, ...]:
    origins = tuple(o.strip().rstrip("/") for o in raw.split(",") if o.strip())
    for origin in origins:
        parts = urlsplit(origin)
        if origin != "*" and (parts.scheme not in {"http", "https"} or not parts.netloc):
            raise ValueError(f"{origin!r} is not an origin such as https://ehr.example.org")
    return origins


def _parse_url(raw: str) -> str:
    if not raw.strip():
        return ""
    parts = urlsplit(raw.strip())
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        raise ValueError("expected an absolute http(s) URL")
    return raw.strip().rstrip("/")


def _parse_client_id(raw: str) -> str:
    value = raw.strip()
    if not re.fullmatch(r"[\x21-\x7e]{1,200}", value):
        raise ValueError("expected a client id of printable characters without spaces")
    return value


def _parse_secret_file(raw: str) -> str:
    value = raw.strip()
    if value and not Path(value).is_file():
        raise ValueError("no such file")
    return value


def _parse_fhir_bases(raw: str) -> tuple[str, ...]:
    return tuple(_parse_url(part) for part in raw.split(",") if part.strip())


def _parse_log_level(raw: str) -> str:
    level = raw.strip().upper()
    if level not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
        raise ValueError("expected DEBUG, INFO, WARNING or ERROR")
    return level


def _parse_db(raw: str) -> Path | str:
    value = raw.strip()
    if not value:
        raise ValueError("expected an SQLite file path or a postgresql:// URL")
    scheme = urlsplit(value).scheme
    if scheme in {"postgresql", "postgres"}:
        if not urlsplit(value).netloc and "host=" not in value:
            raise ValueError("a postgresql:// URL needs a host, e.g. postgresql://db:5432/cds")
        return value
    if "://" in value:
        raise ValueError(f"{scheme}:// is not supported: use a file path or a postgresql:// URL")
    return Path(value)


def _parse_port_or_off(raw: str) -> int:
    value = int(raw)
    if not 0 <= value < 65536:
        raise ValueError("expected a TCP port (0 = off)")
    return value


def _parse_log_format(raw: str) -> str:
    value = raw.strip().lower()
    if value not in {"text", "json"}:
        raise ValueError("expected text or json")
    return value


def _m(parse: Callable[[str], Any], doc: str) -> dict[str, Any]:
    """Field metadata: how to parse the environment variable, and what it means."""
    return {"parse": parse, "doc": doc}


@dataclass(frozen=True, slots=True)
class Settings:
    """Every setting, its environment variable (``SARCOMA_CDS_`` + upper-cased name) and meaning."""

    public_base_url: str = field(
        default="",
        metadata=_m(
            _parse_url,
            "URL clients call this service at (JWT `aud` = it + path); required with auth on",
        ),
    )
    auth: bool = field(
        default=True,
        metadata=_m(
            _parse_bool, "Authenticate CDS clients (JWT); `off` only for local development"
        ),
    )
    discovery_open: bool = field(
        default=False,
        metadata=_m(_parse_bool, "Serve GET /cds-services without client authentication"),
    )
    fhir_timeout: float = field(
        default=1.5,
        metadata=_m(
            _parse_positive_float, "Seconds allowed for each FHIR server request (fallback)"
        ),
    )
    fhir_deadline: float = field(
        default=2.0,
        metadata=_m(
            _parse_positive_float, "Seconds allowed for all FHIR fallback queries of one call"
        ),
    )
    fhir_max_pages: int = field(
        default=20,
        metadata=_m(
            _parse_positive_int, "Most search result pages followed per query (`next` links)"
        ),
    )
    allow_insecure_http: bool = field(
        default=False,
        metadata=_m(_parse_bool, "Accept plain-http `fhirServer` (and `jku`) URLs: tests only"),
    )
    db: Path | str = field(
        default=Path("var/sarcoma-cds.sqlite3"),
        metadata=_m(
            _parse_db,
            "Feedback and JWT replay store: an SQLite file, or a postgresql:// URL for several "
            "instances (schema created or migrated at start)",
        ),
    )
    cors_origins: tuple[str, ...] = field(
        default=(), metadata=_m(_parse_origins, "Comma-separated browser origins allowed by CORS")
    )
    cors_allow_localhost: bool = field(
        default=True,
        metadata=_m(
            _parse_bool, "Also allow http(s)://localhost and 127.0.0.1 origins on any port"
        ),
    )
    log_level: str = field(default="INFO", metadata=_m(_parse_log_level, "Log level"))
    smart_client_id: str = field(
        default="sarcoma-cds-worksheet",
        metadata=_m(_parse_client_id, "OAuth client_id of the SMART worksheet at the EHR"),
    )
    smart_client_secret_file: str = field(
        default="",
        metadata=_m(
            _parse_secret_file,
            "File holding the worksheet's client secret (confidential client); empty: public",
        ),
    )
    smart_open_servers: tuple[str, ...] = field(
        default=(),
        metadata=_m(
            _parse_fhir_bases, "Comma-separated open FHIR bases the worksheet may use tokenless"
        ),
    )
    smart_fhir_servers: tuple[str, ...] = field(
        default=(),
        metadata=_m(
            _parse_fhir_bases, "Comma-separated FHIR bases (iss) the worksheet may be launched from"
        ),
    )
    smart_session_ttl: float = field(
        default=1800.0,
        metadata=_m(_parse_positive_float, "Seconds a worksheet session lasts (at most)"),
    )
    log_format: str = field(
        default="text",
        metadata=_m(_parse_log_format, "`json`: one JSON object per log line (for log shippers)"),
    )
    db_pool_size: int = field(
        default=10,
        metadata=_m(_parse_positive_int, "Most PostgreSQL connections per worker process"),
    )
    db_timeout: float = field(
        default=3.0,
        metadata=_m(
            _parse_positive_float,
            "Seconds a call waits for the database before it is answered 503",
        ),
    )
    metrics_token: str = field(
        default="",
        metadata=_m(
            str.strip,
            "Bearer token for GET /metrics on the service port; empty: not served there",
        )
        | {"secret": True},
    )
    metrics_port: int = field(
        default=0,
        metadata=_m(
            _parse_port_or_off, "Separate port for /metrics (`sarcoma-cds serve`); 0: none"
        ),
    )
    metrics_host: str = field(
        default="127.0.0.1",
        metadata=_m(str.strip, "Interface of the separate metrics port"),
    )
    workers: int = field(
        default=1,
        metadata=_m(_parse_positive_int, "Worker processes of `sarcoma-cds serve` (`--workers`)"),
    )
    shutdown_timeout: float = field(
        default=20.0,
        metadata=_m(
            _parse_positive_float,
            "Seconds `serve` lets requests in flight finish after SIGTERM",
        ),
    )
    max_primaries: int = field(
        default=10,
        metadata=_m(
            _parse_positive_int, "Most primary sarcomas staged per call; a card names the rest"
        ),
    )
    max_cards: int = field(
        default=50,
        metadata=_m(
            _parse_at_least(2), "Most cards per response; the last one says what was left out"
        ),
    )
    max_response_bytes: int = field(
        default=2 * 1024 * 1024,
        metadata=_m(
            _parse_at_least(65536),
            "Largest card response (bytes); a larger one is replaced by a card saying so",
        ),
    )
    staging_threads: int = field(
        default=4,
        metadata=_m(
            _parse_positive_int, "Calls staged at once per worker, in threads off the event loop"
        ),
    )
    limit_concurrency: int = field(
        default=100,
        metadata=_m(
            _parse_positive_int,
            "`serve`: most connections and requests at once per worker; more are answered 503",
        ),
    )
    backlog: int = field(
        default=256,
        metadata=_m(_parse_positive_int, "`serve`: connections waiting to be accepted (listen)"),
    )
    timeout_keep_alive: int = field(
        default=5,
        metadata=_m(_parse_positive_int, "`serve`: seconds an idle keep-alive connection is kept"),
    )
    request_timeout: float = field(
        default=30.0,
        metadata=_m(
            _parse_positive_float,
            "`serve`: seconds a client has to send a whole request from its first byte",
        ),
    )
    max_header_bytes: int = field(
        default=16384,
        metadata=_m(
            _parse_at_least(1024),
            "`serve`: most bytes of an unfinished request head buffered; 400 above",
        ),
    )
    strict_fhir: bool = field(
        default=False,
        metadata=_m(
            _parse_bool,
            "Validate every resource read with the full FHIR R4B models (slower); "
            "off: a fast check that hands anything unusual to them",
        ),
    )

    opentelemetry: bool = field(
        default=False,
        metadata=_m(
            _parse_bool,
            "FastAPI's OpenTelemetry spans, metrics and exception logs for every request, for "
            "a process with a configured OpenTelemetry SDK; off: the service's own metrics and "
            "logs only",
        ),
    )

    def __post_init__(self) -> None:
        if self.fhir_timeout > self.fhir_deadline:
            raise SettingsError(
                f"{PREFIX}FHIR_TIMEOUT ({self.fhir_timeout}) must not exceed "
                f"{PREFIX}FHIR_DEADLINE ({self.fhir_deadline})"
            )

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read and validate the ``SARCOMA_CDS_*`` variables this class defines.

        Other ``SARCOMA_CDS_*`` variables are left to the modules that own them (``hooks.auth``).
        """
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for f in fields(cls):
            name = PREFIX + f.name.upper()
            raw = env.get(name)
            if raw is None:
                continue
            try:
                values[f.name] = f.metadata["parse"](raw)
            except ValueError as exc:
                raise SettingsError(f"{name}={raw!r}: {exc}") from None
        return cls(**values)

    def table(self) -> list[tuple[str, str, str]]:
        """(variable, current value, meaning) rows, for documentation and start-up logs."""
        rows = []
        for f in fields(self):
            value = getattr(self, f.name)
            shown = ",".join(value) if isinstance(value, tuple) else str(value)
            if f.metadata.get("secret") and shown:
                shown = "(set)"
            elif f.name == "db":
                from hooks.store.database import describe  # noqa: PLC0415

                shown = describe(value)
            rows.append((PREFIX + f.name.upper(), shown, str(f.metadata["doc"])))
        return rows


AUTH_OFF_WARNING = (
    "WARNING: SARCOMA_CDS_AUTH=off: CDS client authentication is DISABLED. Any caller can "
    "request decision support and make this service query the FHIR server it names. "
    "Use only on a development machine."
)


_FHIR_ID = re.compile(r"[A-Za-z0-9\-.]{1,64}")


def is_valid_fhir_id(value: str) -> bool:
    """FHIR R4 ``id`` datatype: 1-64 of [A-Za-z0-9-.], and not ``.`` or ``..``: in a URL those
    are dot segments (RFC 3986 section 5.2.4), so ``Patient/..`` would name the server root."""
    # Compiled once: ``re.fullmatch`` with the pattern text looks it up in re's cache per call.
    return _FHIR_ID.fullmatch(value) is not None and value not in {".", ".."}
