"""SMART App Launch 2.0 pieces (hooks.smart.launch): PKCE S256, state, scopes, the
authorization request, discovery and the token exchange, against fake EHR answers."""

from __future__ import annotations

import base64
import hashlib
import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import jwt
import pytest

from hooks.smart import launch as smart

pytestmark = pytest.mark.anyio
ISS = "https://ehr.example.org/fhir"
CONFIG = smart.SmartConfiguration(
    "https://ehr.example.org/oauth2/authorize", "https://ehr.example.org/oauth2/token"
)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def test_s256_matches_rfc_7636_appendix_b() -> None:
    verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
    assert smart.s256(verifier) == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"


def test_pkce_pairs_are_fresh_and_well_formed() -> None:
    pairs = [smart.pkce_pair() for _ in range(50)]
    assert len({v for v, _ in pairs}) == 50
    for verifier, challenge in pairs:
        assert re.fullmatch(r"[A-Za-z0-9._~-]{43,128}", verifier)
        digest = hashlib.sha256(verifier.encode()).digest()
        assert challenge == base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
        assert "=" not in challenge


def test_states_are_random_and_long() -> None:
    states = {smart.new_state() for _ in range(100)}
    assert len(states) == 100
    assert all(len(s) >= 43 for s in states)  # 256 bits


def test_scopes_ehr_and_standalone() -> None:
    ehr = smart.scopes(ehr_launch=True).split()
    standalone = smart.scopes(ehr_launch=False).split()
    assert ehr[0] == "launch"
    assert "launch/patient" not in ehr
    assert standalone[0] == "launch/patient"
    assert "launch" not in standalone
    for scopes in (ehr, standalone):
        assert {"openid", "fhirUser", "patient/Patient.rs", "patient/Condition.rs"} <= set(scopes)
        assert {"patient/Observation.rs", "patient/Observation.c"} <= set(scopes)
        assert not [s for s in scopes if s.startswith(("user/", "system/")) or s.endswith(".*")]


def test_authorize_url_carries_pkce_state_aud_and_launch() -> None:
    url = smart.authorize_url(
        CONFIG,
        client_id="worksheet",
        redirect_uri="https://cds.example.org/smart/callback",
        iss=ISS,
        state="s" * 43,
        challenge="c" * 43,
        launch="xyz",
    )
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == CONFIG.authorization_endpoint
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    assert query == {
        "response_type": "code",
        "client_id": "worksheet",
        "redirect_uri": "https://cds.example.org/smart/callback",
        "scope": smart.scopes(ehr_launch=True),
        "state": "s" * 43,
        "aud": ISS,
        "code_challenge": "c" * 43,
        "code_challenge_method": "S256",
        "launch": "xyz",
    }
    standalone = smart.authorize_url(
        CONFIG, client_id="w", redirect_uri="r", iss=ISS, state="s", challenge="c", launch=None
    )
    assert "launch=" not in standalone
    assert "launch%2Fpatient" in standalone


def client(handler: Any) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.MockTransport(handler))


async def test_discovery_reads_the_endpoints() -> None:
    seen = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return httpx.Response(
            200,
            json={
                "authorization_endpoint": CONFIG.authorization_endpoint,
                "token_endpoint": CONFIG.token_endpoint,
                "code_challenge_methods_supported": ["S256"],
            },
        )

    async with client(handler) as http:
        assert await smart.discover(http, ISS) == CONFIG
    assert seen == [f"{ISS}/.well-known/smart-configuration"]


@pytest.mark.parametrize(
    ("status", "body", "words"),
    [
        (404, {}, "no SMART configuration"),
        (
            200,
            {"token_endpoint": "https://x/t", "code_challenge_methods_supported": ["S256"]},
            "no",
        ),
        (
            200,
            {
                "authorization_endpoint": "https://x/a",
                "token_endpoint": "https://x/t",
                "code_challenge_methods_supported": ["plain"],
            },
            "PKCE",
        ),
        (
            200,
            {"authorization_endpoint": "https://x/a", "token_endpoint": "https://x/t"},
            "PKCE",
        ),
        (
            200,
            {
                "authorization_endpoint": "javascript:alert(1)",
                "token_endpoint": "https://x/t",
                "code_challenge_methods_supported": ["S256"],
            },
            "not a URL",
        ),
    ],
)
async def test_discovery_refuses_what_it_cannot_use(
    status: int, body: dict[str, Any], words: str
) -> None:
    async with client(lambda r: httpx.Response(status, json=body)) as http:
        with pytest.raises(smart.LaunchError, match=words):
            await smart.discover(http, ISS)


def id_token(**claims: Any) -> str:
    return jwt.encode({"aud": "worksheet", **claims}, b"k" * 32, algorithm="HS256")


async def test_exchange_sends_the_verifier_and_reads_the_grant() -> None:
    forms: list[dict[str, list[str]]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        forms.append(parse_qs(request.content.decode()))
        assert "authorization" not in request.headers  # a public client
        return httpx.Response(
            200,
            json={
                "access_token": "secret-token",
                "token_type": "Bearer",
                "expires_in": 300,
                "scope": "launch patient/Observation.rs",
                "patient": "p1",
                "appContext": "Condition/c-1",
                "id_token": id_token(fhirUser="https://ehr.example.org/fhir/Practitioner/9"),
            },
        )

    async with client(handler) as http:
        grant = await smart.exchange(
            http,
            CONFIG.token_endpoint,
            code="abc",
            verifier="v" * 43,
            redirect_uri="https://cds/cb",
            client_id="worksheet",
            client_secret=None,
        )
    assert forms == [
        {
            "grant_type": ["authorization_code"],
            "code": ["abc"],
            "redirect_uri": ["https://cds/cb"],
            "code_verifier": ["v" * 43],
            "client_id": ["worksheet"],
        }
    ]
    assert grant.patient == "p1"
    assert grant.scopes == {"launch", "patient/Observation.rs"}
    assert grant.expires_in == 300
    assert grant.fhir_user == "Practitioner/9"
    assert grant.condition == "Condition/c-1"
    assert grant.access_token == "secret-token"  # noqa: S105
    assert "secret-token" not in repr(grant)


async def test_a_confidential_client_authenticates_with_basic() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        expected = base64.b64encode(b"worksheet:s3cret").decode()
        assert request.headers["authorization"] == f"Basic {expected}"
        assert "client_id" not in parse_qs(request.content.decode())
        return httpx.Response(200, json={"access_token": "t", "patient": "p"})

    async with client(handler) as http:
        grant = await smart.exchange(
            http,
            "https://x/t",
            code="c",
            verifier="v",
            redirect_uri="r",
            client_id="worksheet",
            client_secret="s3cret",  # noqa: S106
        )
    assert grant.fhir_user == ""
    assert grant.condition == ""


@pytest.mark.parametrize(
    ("status", "body", "words"),
    [
        (400, {"error": "invalid_grant"}, "invalid_grant"),
        (200, {"patient": "p"}, "no access token"),
        (200, {"access_token": "t"}, "which patient"),
        (500, None, "HTTP 500"),
    ],
)
async def test_exchange_failures_are_plain_words(status: int, body: Any, words: str) -> None:
    async with client(lambda r: httpx.Response(status, json=body)) as http:
        with pytest.raises(smart.LaunchError, match=words):
            await smart.exchange(
                http,
                "https://x/t",
                code="c",
                verifier="v",
                redirect_uri="r",
                client_id="w",
                client_secret=None,
            )


@pytest.mark.parametrize(
    ("token", "expected"),
    [
        (id_token(fhirUser="Practitioner/1"), "Practitioner/1"),
        (id_token(fhirUser="https://x/fhir/PractitionerRole/r-2"), "PractitionerRole/r-2"),
        (id_token(fhirUser="Patient/1"), ""),  # not a clinician
        (jwt.encode({"aud": "other", "fhirUser": "Practitioner/1"}, b"k" * 32), ""),  # audience
        ("not-a-jwt", ""),
    ],
)
async def test_fhir_user_from_the_id_token(token: str, expected: str) -> None:
    body = {"access_token": "t", "patient": "p", "id_token": token}
    async with client(lambda r: httpx.Response(200, json=body)) as http:
        grant = await smart.exchange(
            http,
            "https://x/t",
            code="c",
            verifier="v",
            redirect_uri="r",
            client_id="worksheet",
            client_secret=None,
        )
    assert grant.fhir_user == expected


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"appContext": "Condition/abc"}, "Condition/abc"),
        ({"fhirContext": [{"reference": "Condition/d.1"}]}, "Condition/d.1"),
        ({"appContext": "Condition/../../x"}, ""),
        ({"appContext": "Observation/abc"}, ""),
        ({"appContext": {"condition": "x"}}, ""),
    ],
)
async def test_the_condition_to_open_on(body: dict[str, Any], expected: str) -> None:
    answer = {"access_token": "t", "patient": "p", **body}
    async with client(lambda r: httpx.Response(200, json=answer)) as http:
        grant = await smart.exchange(
            http,
            "https://x/t",
            code="c",
            verifier="v",
            redirect_uri="r",
            client_id="w",
            client_secret=None,
        )
    assert grant.condition == expected
