"""Validation of the CDS client's JWT (CDS Hooks 2.0 "Trusting CDS Clients").

Order matters: everything cheap and local (header, algorithm, issuer, ``jku`` allowlist) is
checked before any key is fetched, the signature before any claim is trusted, and the ``jti``
is recorded only for a token that passed every other check (so a forged token cannot burn a
legitimate client's ``jti``). Every failure is one ``AuthenticationError`` whose reason is for
the server log; it never holds the token.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import anyio.to_thread
import httpx
import jwt

from hooks.auth.issuers import ACCEPTED_ALGORITHMS, TrustedIssuer, normalize_url
from hooks.auth.keys import PublicKey, parse_jwks
from hooks.store.replay import ReplayStore

logger = logging.getLogger("hooks.auth")

#: Claims every CDS client JWT carries (CDS Hooks 2.0, "JWT payload").
REQUIRED_CLAIMS = ("iss", "aud", "exp", "iat", "jti")
#: A CDS client JWT is a few hundred bytes; anything this large is not one.
MAX_TOKEN_CHARS = 8192
MAX_JTI_CHARS = 255


class AuthenticationError(Exception):
    """The caller is not an authenticated, trusted CDS client. Maps to a bare 401.

    ``reason`` is for the server log only; it never contains the token.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class VerifiedToken:
    iss: str
    jti: str
    exp: float
    sub: str | None
    tenant: str | None


class JwksFetcher:
    """JWKS documents fetched from allowlisted URLs, cached per URL.

    A key that is not in the cache triggers one refetch, and each URL is fetched at most once
    per ``min_refetch_interval`` whatever the outcome, so a stream of tokens with invented
    ``kid`` values cannot turn the service into a request amplifier. Fetches follow no
    redirects and are capped in size and time.
    """

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        max_bytes: int = 64 * 1024,
        timeout: float = 3.0,
        min_refetch_interval: float = 60.0,
        ttl: float = 3600.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._http = http
        self._max_bytes = max_bytes
        self._timeout = timeout
        self._min_interval = min_refetch_interval
        self._ttl = ttl
        self._clock = clock
        self._keys: dict[str, dict[str, PublicKey]] = {}
        self._fetched_at: dict[str, float] = {}
        self._attempted_at: dict[str, float] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        #: Fetches started, per URL (for monitoring and tests).
        self.fetches: dict[str, int] = {}

    async def key(self, url: str, kid: str) -> PublicKey | None:
        cached = self._keys.get(url, {})
        if kid in cached and self._clock() - self._fetched_at[url] < self._ttl:
            return cached[kid]
        lock = self._locks.setdefault(url, asyncio.Lock())
        async with lock:
            attempted = self._attempted_at.get(url)
            if attempted is None or self._clock() - attempted >= self._min_interval:
                self._attempted_at[url] = self._clock()
                self.fetches[url] = self.fetches.get(url, 0) + 1
                fresh = await self._fetch(url)
                if fresh is not None:
                    self._keys[url] = fresh
                    self._fetched_at[url] = self._clock()
            # On a failed fetch the previous keys stay in use: a JWKS endpoint that is briefly
            # down must not lock out a client whose key we already hold.
            return self._keys.get(url, {}).get(kid)

    async def _fetch(self, url: str) -> dict[str, PublicKey] | None:
        try:
            async with asyncio.timeout(self._timeout):
                body = await self._download(url)
            return parse_jwks(json.loads(body), strict=False)
        except (httpx.HTTPError, TimeoutError, ValueError, UnicodeDecodeError) as exc:
            logger.warning("JWKS fetch from %s failed: %s", url, _describe(exc))
            return None

    async def _download(self, url: str) -> bytes:
        headers = {"Accept": "application/jwk-set+json, application/json"}
        async with self._http.stream(
            "GET", url, headers=headers, follow_redirects=False, timeout=self._timeout
        ) as response:
            if response.status_code != 200:
                raise ValueError(f"HTTP {response.status_code} (redirects are not followed)")
            declared = response.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > self._max_bytes:
                raise ValueError(f"body larger than {self._max_bytes} bytes")
            body = bytearray()
            async for chunk in response.aiter_bytes():
                body += chunk
                if len(body) > self._max_bytes:
                    raise ValueError(f"body larger than {self._max_bytes} bytes")
        return bytes(body)


class TokenValidator:
    def __init__(
        self,
        issuers: Mapping[str, TrustedIssuer],
        replay: ReplayStore,
        fetcher: JwksFetcher | None,
        *,
        leeway: float = 60.0,
        max_lifetime: float = 3600.0,
        allow_http: bool = False,
    ) -> None:
        self._issuers = issuers
        self._replay = replay
        self._fetcher = fetcher
        self._leeway = leeway
        self._max_lifetime = max_lifetime
        self._allow_http = allow_http

    async def validate(self, token: str, audience: str) -> VerifiedToken:
        if len(token) > MAX_TOKEN_CHARS or token.count(".") != 2:
            raise AuthenticationError("not a compact JWS")
        try:
            header = jwt.get_unverified_header(token)
            unverified = jwt.decode(token, options={"verify_signature": False})
        except jwt.PyJWTError as exc:
            raise AuthenticationError(f"undecodable token: {_describe(exc)}") from None

        alg = header.get("alg")
        if alg not in ACCEPTED_ALGORITHMS:
            raise AuthenticationError(f"algorithm {_short(alg)} is not accepted")
        if "crit" in header:
            raise AuthenticationError("critical header extensions are not supported")
        typ = header.get("typ", "JWT")
        if not isinstance(typ, str) or typ.upper() != "JWT":
            raise AuthenticationError(f"typ {_short(typ)} is not JWT")
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise AuthenticationError("no kid in the header")

        iss = unverified.get("iss")
        issuer = self._issuers.get(iss) if isinstance(iss, str) else None
        if issuer is None:
            raise AuthenticationError(f"issuer {_short(iss)} is not trusted")
        if alg not in issuer.algorithms:
            raise AuthenticationError(f"algorithm {alg} is not allowed for this issuer")

        key = await self._key(issuer, kid, header.get("jku"))
        if alg not in key.algorithms:
            raise AuthenticationError(f"algorithm {alg} does not fit key {_short(kid)}")

        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key=key.key,
                algorithms=[alg],
                audience=audience,
                issuer=issuer.iss,
                leeway=self._leeway,
                options={"require": list(REQUIRED_CLAIMS)},
            )
        except jwt.PyJWTError as exc:
            raise AuthenticationError(f"invalid token: {_describe(exc)}") from None
        return await self._accept(issuer, claims)

    async def _key(self, issuer: TrustedIssuer, kid: str, jku: Any) -> PublicKey:
        urls: list[str]
        if jku is None:
            urls = sorted(issuer.jku)
        else:
            try:
                normalized = normalize_url(jku, allow_http=self._allow_http)
            except ValueError as exc:
                raise AuthenticationError(f"jku {_short(jku)} rejected: {exc}") from None
            if normalized not in issuer.jku:
                raise AuthenticationError(f"jku {_short(jku)} is not allowlisted for this issuer")
            urls = [normalized]
        key = issuer.static_keys.get(kid)
        if key is not None:
            return key
        if self._fetcher is not None:
            for url in urls:
                key = await self._fetcher.key(url, kid)
                if key is not None:
                    return key
        raise AuthenticationError(f"unknown kid {_short(kid)}")

    async def _accept(self, issuer: TrustedIssuer, claims: dict[str, Any]) -> VerifiedToken:
        exp, iat = claims["exp"], claims["iat"]
        if not _is_number(exp) or not _is_number(iat):
            raise AuthenticationError("exp and iat must be numbers")
        if iat > time.time() + self._leeway:
            # PyJWT checks this too (2.10 on); kept explicit so no version can drop it.
            raise AuthenticationError("iat is in the future")
        if exp - iat > self._max_lifetime:
            raise AuthenticationError(f"token lifetime {exp - iat:.0f} s is too long")
        jti = claims["jti"]
        if not isinstance(jti, str) or not 0 < len(jti) <= MAX_JTI_CHARS:
            raise AuthenticationError("jti must be a non-empty string")
        tenant = claims.get("tenant")
        if tenant is not None and not isinstance(tenant, str):
            raise AuthenticationError("tenant must be a string")
        if issuer.tenants and tenant not in issuer.tenants:
            raise AuthenticationError(f"tenant {_short(tenant)} is not allowed for this issuer")
        sub = claims.get("sub")
        # The token stays acceptable until exp + leeway, so the jti is remembered as long.
        expires_at = float(exp) + self._leeway
        fresh = await anyio.to_thread.run_sync(self._replay.remember, issuer.iss, jti, expires_at)
        if not fresh:
            raise AuthenticationError(f"jti {_short(jti)} was already used (replay)")
        return VerifiedToken(
            iss=issuer.iss,
            jti=jti,
            exp=float(exp),
            sub=sub if isinstance(sub, str) else None,
            tenant=tenant,
        )


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _short(value: Any) -> str:
    """An attacker-supplied value, bounded and quoted, safe for one log line."""
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {str(exc)[:200]}" if str(exc) else type(exc).__name__
