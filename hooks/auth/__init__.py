"""Authentication of CDS clients and the outbound FHIR server allowlist.

The app calls ``await authenticator.authenticate(request)`` for every service and feedback
call (and discovery unless ``discovery_open``), and ``check_fhir_server(identity, url)``
before it sends anything to a ``fhirServer``. ``AuthenticationError`` maps to a bare 401,
``FhirServerNotAllowed`` to 403; see SECURITY.md for the threat model.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import httpx
from starlette.requests import Request

from hooks.auth.issuers import IssuerConfigError, TrustedIssuer, load_trusted_issuers, normalize_url
from hooks.auth.jwt import AuthenticationError, JwksFetcher, TokenValidator
from hooks.store.database import is_postgres_url, open_database
from hooks.store.replay import ReplayStore, SqliteReplayStore

__all__ = [
    "ANONYMOUS",
    "AuthConfig",
    "AuthConfigError",
    "AuthenticationError",
    "Authenticator",
    "ClientIdentity",
    "FhirServerNotAllowed",
    "IssuerConfigError",
    "ServiceSettings",
    "check_fhir_server",
]

logger = logging.getLogger("hooks.auth")

DEFAULT_DB = Path("var/sarcoma-cds.sqlite3")
#: Seconds of clock skew tolerated on exp, iat and nbf. CDS client tokens live minutes (the
#: Sandbox's 5), hosts are NTP-synchronized but virtual machines drift by seconds to tens of
#: seconds; 60 s covers that and the replay store keeps each jti for exp + leeway, so the
#: leeway never opens a replay window.
DEFAULT_LEEWAY = 60.0
#: Longest exp - iat we accept: bounds how long a leaked token is useful and the replay store.
DEFAULT_MAX_LIFETIME = 3600.0


class AuthConfigError(ValueError):
    """An authentication setting is missing or invalid; the message names the variable."""


class FhirServerNotAllowed(Exception):
    """The request names a ``fhirServer`` this client may not make us call. Maps to 403."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class ClientIdentity:
    """Who is calling, as established by ``Authenticator.authenticate``."""

    authenticated: bool
    iss: str | None = None
    sub: str | None = None
    tenant: str | None = None
    jti: str | None = None
    #: Normalized FHIR base URLs this client may send; ``None`` means unrestricted, which only
    #: happens with authentication off (development).
    fhir_servers: frozenset[str] | None = None
    #: http (not https) FHIR servers allowed: tests only.
    allow_http: bool = False


#: The identity of every caller when authentication is off.
ANONYMOUS = ClientIdentity(authenticated=False, fhir_servers=None, allow_http=True)


def check_fhir_server(identity: ClientIdentity, url: str) -> None:
    """Raise ``FhirServerNotAllowed`` unless ``url`` is a FHIR server bound to this client."""
    if identity.fhir_servers is None:
        return
    try:
        normalized = normalize_url(url, allow_http=identity.allow_http)
    except ValueError as exc:
        raise FhirServerNotAllowed(f"fhirServer {exc}") from None
    if normalized not in identity.fhir_servers:
        raise FhirServerNotAllowed(f"fhirServer {normalized} is not allowlisted for {identity.iss}")


@dataclass(frozen=True)
class AuthConfig:
    enabled: bool = True
    #: The public URL of the app's root as clients call it (behind any proxy); the JWT ``aud``
    #: must equal this plus the invoked path.
    public_base_url: str = ""
    trusted_issuers: Path | None = None
    db_path: Path | str = DEFAULT_DB  # an SQLite file or a postgresql:// URL
    leeway: float = DEFAULT_LEEWAY
    max_lifetime: float = DEFAULT_MAX_LIFETIME
    discovery_open: bool = False
    #: Accept http URLs for jku, fhirServer and the base URL. Tests only.
    allow_insecure_http: bool = False
    jwks_timeout: float = 3.0
    jwks_max_bytes: int = 64 * 1024
    jwks_min_refetch_interval: float = 60.0
    jwks_ttl: float = 3600.0

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> AuthConfig:
        """Read the ``SARCOMA_CDS_*`` variables (see SECURITY.md, "Configuration")."""
        env = os.environ if environ is None else environ
        return cls._build(
            env,
            enabled=_flag(env, "SARCOMA_CDS_AUTH", default=True),
            base=env.get("SARCOMA_CDS_PUBLIC_BASE_URL", "").strip(),
            db_path=_db(env.get("SARCOMA_CDS_DB", "").strip()),
            discovery_open=_flag(env, "SARCOMA_CDS_DISCOVERY_OPEN", default=False),
            insecure=_flag(env, "SARCOMA_CDS_ALLOW_INSECURE_HTTP", default=False),
        )

    @classmethod
    def from_settings(
        cls, settings: ServiceSettings, environ: Mapping[str, str] | None = None
    ) -> AuthConfig:
        """The service's ``hooks.web.settings.Settings`` plus the variables only auth reads
        (trusted issuers, leeway, maximum lifetime) from the environment."""
        env = os.environ if environ is None else environ
        return cls._build(
            env,
            enabled=settings.auth,
            base=settings.public_base_url,
            db_path=settings.db,
            discovery_open=settings.discovery_open,
            insecure=settings.allow_insecure_http,
        )

    @classmethod
    def _build(
        cls,
        env: Mapping[str, str],
        *,
        enabled: bool,
        base: str,
        db_path: Path | str,
        discovery_open: bool,
        insecure: bool,
    ) -> AuthConfig:
        issuers = env.get("SARCOMA_CDS_TRUSTED_ISSUERS", "").strip()
        if enabled and not issuers:
            raise AuthConfigError(
                "SARCOMA_CDS_TRUSTED_ISSUERS: required while SARCOMA_CDS_AUTH is on "
                "(see config/trusted-issuers.example.toml)"
            )
        if enabled and not base:
            raise AuthConfigError(
                "SARCOMA_CDS_PUBLIC_BASE_URL: required while SARCOMA_CDS_AUTH is on "
                "(the URL clients call, e.g. https://cds.example.org)"
            )
        if base:
            try:
                base = normalize_url(base, allow_http=insecure)
            except ValueError as exc:
                raise AuthConfigError(f"SARCOMA_CDS_PUBLIC_BASE_URL: {exc}") from None
        return cls(
            enabled=enabled,
            public_base_url=base,
            trusted_issuers=Path(issuers) if issuers else None,
            db_path=db_path,
            leeway=_seconds(env, "SARCOMA_CDS_AUTH_LEEWAY", DEFAULT_LEEWAY, maximum=300),
            max_lifetime=_seconds(
                env, "SARCOMA_CDS_AUTH_MAX_LIFETIME", DEFAULT_MAX_LIFETIME, maximum=86400
            ),
            discovery_open=discovery_open,
            allow_insecure_http=insecure,
        )


class ServiceSettings(Protocol):
    """What ``AuthConfig.from_settings`` reads from ``hooks.web.settings.Settings``."""

    @property
    def auth(self) -> bool: ...
    @property
    def public_base_url(self) -> str: ...
    @property
    def db(self) -> Path | str: ...
    @property
    def discovery_open(self) -> bool: ...
    @property
    def allow_insecure_http(self) -> bool: ...


class Authenticator:
    """Turns a request into a ``ClientIdentity`` or raises ``AuthenticationError``."""

    def __init__(
        self,
        config: AuthConfig,
        *,
        issuers: Mapping[str, TrustedIssuer] | None = None,
        replay_store: ReplayStore | None = None,
        http: httpx.AsyncClient | None = None,
    ) -> None:
        self.config = config
        self._own_http: httpx.AsyncClient | None = None
        self._validator: TokenValidator | None = None
        if not config.enabled:
            logger.warning(
                "AUTHENTICATION IS OFF (SARCOMA_CDS_AUTH=off): any caller is accepted and may "
                "make this service call any fhirServer. Development only; never expose it."
            )
            return
        if not config.public_base_url:
            raise AuthConfigError("SARCOMA_CDS_PUBLIC_BASE_URL: required while auth is on")
        if issuers is None:
            if config.trusted_issuers is None:
                raise AuthConfigError("SARCOMA_CDS_TRUSTED_ISSUERS: required while auth is on")
            issuers = load_trusted_issuers(
                config.trusted_issuers, allow_http=config.allow_insecure_http
            )
        if config.allow_insecure_http:
            logger.warning(
                "SARCOMA_CDS_ALLOW_INSECURE_HTTP is on: http jku and fhirServer URLs are "
                "accepted. Tests only."
            )
        if http is None:
            http = self._own_http = httpx.AsyncClient(
                follow_redirects=False, timeout=config.jwks_timeout, trust_env=False
            )
        fetcher = JwksFetcher(
            http,
            max_bytes=config.jwks_max_bytes,
            timeout=config.jwks_timeout,
            min_refetch_interval=config.jwks_min_refetch_interval,
            ttl=config.jwks_ttl,
        )
        self._validator = TokenValidator(
            issuers,
            replay_store if replay_store is not None else _replay_store(config.db_path),
            fetcher,
            leeway=config.leeway,
            max_lifetime=config.max_lifetime,
            allow_http=config.allow_insecure_http,
        )
        self._issuers = issuers

    @classmethod
    def from_env(
        cls, environ: Mapping[str, str] | None = None, *, http: httpx.AsyncClient | None = None
    ) -> Authenticator:
        return cls(AuthConfig.from_env(environ), http=http)

    @classmethod
    def from_settings(
        cls,
        settings: ServiceSettings,
        environ: Mapping[str, str] | None = None,
        *,
        http: httpx.AsyncClient | None = None,
    ) -> Authenticator:
        return cls(AuthConfig.from_settings(settings, environ), http=http)

    @property
    def enabled(self) -> bool:
        return self._validator is not None

    @property
    def discovery_open(self) -> bool:
        return self.config.discovery_open or not self.enabled

    def audience(self, request: Request) -> str:
        """The ``aud`` a token for this request must carry: configured base URL + app path.

        Never built from the Host header or the proxy's forwarded headers, which the caller
        controls; works whether or not the proxy strips a path prefix (``root_path``).
        """
        path: str = request.scope.get("path", "")
        root: str = request.scope.get("root_path", "")
        if root and path.startswith(root):
            path = path[len(root) :]
        return self.config.public_base_url + path

    async def authenticate(self, request: Request) -> ClientIdentity:
        if self._validator is None:
            return ANONYMOUS
        try:
            token = _bearer_token(request)
            verified = await self._validator.validate(token, self.audience(request))
        except AuthenticationError as exc:
            logger.warning(
                "authentication refused for %s %s: %s",
                request.method,
                request.scope.get("path", ""),
                exc.reason,
            )
            raise
        issuer = self._issuers[verified.iss]
        return ClientIdentity(
            authenticated=True,
            iss=verified.iss,
            sub=verified.sub,
            tenant=verified.tenant,
            jti=verified.jti,
            fhir_servers=issuer.fhir_servers,
            allow_http=self.config.allow_insecure_http,
        )

    def check_fhir_server(self, identity: ClientIdentity, url: str) -> None:
        try:
            check_fhir_server(identity, url)
        except FhirServerNotAllowed as exc:
            logger.warning("fhirServer refused: %s", exc.reason)
            raise

    async def aclose(self) -> None:
        if self._own_http is not None:
            await self._own_http.aclose()


def _bearer_token(request: Request) -> str:
    values = request.headers.getlist("authorization")
    if not values:
        raise AuthenticationError("no Authorization header")
    if len(values) > 1:
        raise AuthenticationError("several Authorization headers")
    scheme, _, token = values[0].strip().partition(" ")
    if scheme.lower() != "bearer":
        raise AuthenticationError("Authorization scheme is not Bearer")
    token = token.strip()
    if not token or " " in token:
        raise AuthenticationError("malformed Bearer credentials")
    return token


def _db(raw: str) -> Path | str:
    if not raw:
        return DEFAULT_DB
    return raw if is_postgres_url(raw) else Path(raw)


def _replay_store(db: Path | str) -> ReplayStore:
    """The replay store for ``SARCOMA_CDS_DB`` when the app does not hand one in."""
    if is_postgres_url(db):
        database = open_database(db)
        database.initialize()
        return database.replay
    return SqliteReplayStore(Path(db))


def _flag(env: Mapping[str, str], name: str, *, default: bool) -> bool:
    raw = env.get(name, "").strip().lower()
    if not raw:
        return default
    if raw in {"on", "true", "1", "yes"}:
        return True
    if raw in {"off", "false", "0", "no"}:
        return False
    raise AuthConfigError(f"{name}: {raw!r} is not one of on/off (true/false, 1/0, yes/no)")


def _seconds(env: Mapping[str, str], name: str, default: float, *, maximum: float) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise AuthConfigError(f"{name}: {raw!r} is not a number of seconds") from None
    if not 0 <= value <= maximum:
        raise AuthConfigError(f"{name}: {value} is outside 0..{maximum}")
    return value
