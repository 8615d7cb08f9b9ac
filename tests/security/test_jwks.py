"""Keys from allowlisted ``jku`` URLs, fetched from a real server on 127.0.0.1.

One refetch on an unknown ``kid``, rate-limited per URL; no redirects; size and time capped.
"""

from __future__ import annotations

import base64
import time
from collections.abc import AsyncIterator

import httpx
import pytest

from hooks.auth.jwt import JwksFetcher
from tests.security.conftest import JwksServer, Route
from tests.security.test_attacks import assert_bare_401, call
from tests.security.tokens import Signer

pytestmark = pytest.mark.anyio


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as client:
        yield client


async def test_jwks_fetched_once_and_cached(
    client: httpx.AsyncClient, epic_signer: Signer, jwks_server: JwksServer
) -> None:
    for _ in range(5):
        token = epic_signer.token(tenant="hospital-a")
        assert (await call(client, token)).status_code == 200
    assert jwks_server.hits["/epic/jwks.json"] == 1


async def test_token_without_jku_uses_the_issuers_allowlisted_jku(
    client: httpx.AsyncClient, epic_signer: Signer
) -> None:
    token = epic_signer.token(tenant="hospital-a", header={"jku": None})
    assert (await call(client, token)).status_code == 200


async def test_unknown_kid_flood_causes_at_most_one_refetch(
    client: httpx.AsyncClient, epic_signer: Signer, jwks_server: JwksServer
) -> None:
    assert (await call(client, epic_signer.token(tenant="hospital-a"))).status_code == 200
    for i in range(30):
        stranger = Signer(
            iss=epic_signer.iss,
            alg="RS384",
            kid=f"kid-{i}",
            jku=epic_signer.jku,
            private_key=epic_signer.private_key,
        )
        assert_bare_401(await call(client, stranger.token(tenant="hospital-a")))
    # The first token fetched; the unknown kids fall inside the refetch interval.
    assert jwks_server.hits["/epic/jwks.json"] == 1


async def test_unknown_kid_refetches_once_then_rate_limits(
    jwks_server: JwksServer, http: httpx.AsyncClient
) -> None:
    old, new = Signer(iss="x", alg="ES384"), Signer(iss="x", alg="ES384")
    url = jwks_server.serve_json("/rotating.json", old.jwks())
    clock = Clock()
    fetcher = JwksFetcher(http, min_refetch_interval=60, ttl=3600, clock=clock)
    assert await fetcher.key(url, old.kid) is not None
    jwks_server.serve_json("/rotating.json", {"keys": [old.public_jwk(), new.public_jwk()]})
    clock.now += 10
    assert await fetcher.key(url, new.kid) is None  # rate-limited: no fetch yet
    assert jwks_server.hits["/rotating.json"] == 1
    clock.now += 60
    assert await fetcher.key(url, new.kid) is not None  # one refetch finds the rotated key
    assert await fetcher.key(url, "never-heard-of") is None
    assert jwks_server.hits["/rotating.json"] == 2


async def test_cache_expires_and_failed_refresh_keeps_known_keys(
    jwks_server: JwksServer, http: httpx.AsyncClient
) -> None:
    signer = Signer(iss="x", alg="ES256")
    url = jwks_server.serve_json("/flaky.json", signer.jwks())
    clock = Clock()
    fetcher = JwksFetcher(http, min_refetch_interval=60, ttl=300, clock=clock)
    assert await fetcher.key(url, signer.kid) is not None
    jwks_server.routes["/flaky.json"] = Route(status=500)
    clock.now += 301
    assert await fetcher.key(url, signer.kid) is not None
    assert jwks_server.hits["/flaky.json"] == 2


async def test_redirects_are_not_followed(jwks_server: JwksServer, http: httpx.AsyncClient) -> None:
    signer = Signer(iss="x", alg="ES384")
    target = jwks_server.serve_json("/elsewhere.json", signer.jwks())
    jwks_server.routes["/moved.json"] = Route(status=302, headers={"Location": target})
    fetcher = JwksFetcher(http, clock=Clock())
    assert await fetcher.key(jwks_server.url("/moved.json"), signer.kid) is None
    assert "/elsewhere.json" not in jwks_server.hits


async def test_oversized_jwks_is_refused(jwks_server: JwksServer, http: httpx.AsyncClient) -> None:
    signer = Signer(iss="x", alg="ES384")
    padding = {"padding": base64.b64encode(b"x" * 70_000).decode()}
    url = jwks_server.serve_json("/big.json", {**signer.jwks(), **padding})
    fetcher = JwksFetcher(http, max_bytes=64 * 1024, clock=Clock())
    assert await fetcher.key(url, signer.kid) is None


async def test_slow_jwks_server_is_cut_off(
    jwks_server: JwksServer, http: httpx.AsyncClient
) -> None:
    signer = Signer(iss="x", alg="ES384")
    url = jwks_server.serve_json("/slow.json", signer.jwks(), delay=3.0)
    fetcher = JwksFetcher(http, timeout=0.3, clock=Clock())
    started = time.monotonic()
    assert await fetcher.key(url, signer.kid) is None
    assert time.monotonic() - started < 2.5  # correctness bound: the timeout, plus margin


@pytest.mark.parametrize(
    "body",
    [b"not json", b"[]", b'{"keys": "none"}', b'{"keys": [{"kty": "oct", "k": "c2VjcmV0"}]}'],
)
async def test_unusable_jwks_documents_yield_no_key(
    jwks_server: JwksServer, http: httpx.AsyncClient, body: bytes
) -> None:
    jwks_server.routes["/odd.json"] = Route(body=body)
    fetcher = JwksFetcher(http, clock=Clock())
    assert await fetcher.key(jwks_server.url("/odd.json"), "any") is None


async def test_symmetric_key_with_the_right_kid_is_never_used(
    jwks_server: JwksServer, http: httpx.AsyncClient
) -> None:
    signer = Signer(iss="x", alg="ES384")
    secret = {"kty": "oct", "kid": signer.kid, "k": "c2VjcmV0", "alg": "HS256"}
    url = jwks_server.serve_json("/mixed.json", {"keys": [secret]})
    fetcher = JwksFetcher(http, clock=Clock())
    assert await fetcher.key(url, signer.kid) is None


async def test_private_members_in_fetched_jwks_are_skipped(
    jwks_server: JwksServer, http: httpx.AsyncClient
) -> None:
    signer = Signer(iss="x", alg="ES384")
    url = jwks_server.serve_json("/leaky.json", {"keys": [{**signer.public_jwk(), "d": "AAAA"}]})
    assert await JwksFetcher(http, clock=Clock()).key(url, signer.kid) is None


async def test_jku_server_down_is_a_401_not_a_500(
    client: httpx.AsyncClient,
    epic_signer: Signer,
    jwks_server: JwksServer,
) -> None:
    jwks_server.routes["/epic/jwks.json"] = Route(status=503)
    assert_bare_401(await call(client, epic_signer.token(tenant="hospital-a")))
