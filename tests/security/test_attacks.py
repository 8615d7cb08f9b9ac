"""The attack suite: every forged, stale, replayed or misdirected token gets the same bare 401.

Requests reach the app at an internal address (as behind a reverse proxy) while tokens are
minted for the configured public URL, so ``aud`` is checked against configuration, not Host.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import time
from collections.abc import Callable
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization

from tests.security.conftest import EPIC_FHIR, SANDBOX_FHIR, JwksServer
from tests.security.tokens import PUBLIC_BASE, SERVICE_AUD, SERVICE_PATH, Signer

pytestmark = pytest.mark.anyio

REQUEST: dict[str, Any] = {
    "hook": "patient-view",
    "hookInstance": "d1577c69-dfbe-44ad-ba6d-3e05e953b2ea",
    "context": {"userId": "Practitioner/1", "patientId": "p1"},
}


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unsigned(header: dict[str, Any], claims: dict[str, Any], signature: bytes = b"") -> str:
    head = b64(json.dumps(header).encode())
    body = b64(json.dumps(claims).encode())
    return f"{head}.{body}.{b64(signature)}"


async def call(
    client: httpx.AsyncClient, token: str | None, body: dict[str, Any] | None = None
) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    return await client.post(SERVICE_PATH, json=body or REQUEST, headers=headers)


def assert_bare_401(response: httpx.Response) -> None:
    assert response.status_code == 401
    assert response.content == b""
    assert response.headers["www-authenticate"] == "Bearer"


async def test_sandbox_style_es384_token_accepted(
    client: httpx.AsyncClient, sandbox_signer: Signer
) -> None:
    response = await call(client, sandbox_signer.token())
    assert response.status_code == 200
    assert response.json()["iss"] == sandbox_signer.iss


async def test_epic_style_rs384_token_with_jku_sub_nbf_accepted(
    client: httpx.AsyncClient, epic_signer: Signer, jwks_server: JwksServer
) -> None:
    now = int(time.time())
    token = epic_signer.token(sub="epic-user-42", nbf=now, tenant="hospital-a")
    response = await call(client, token, {**REQUEST, "fhirServer": EPIC_FHIR})
    assert response.status_code == 200, response.text
    assert response.json() == {
        "cards": [],
        "iss": epic_signer.iss,
        "sub": "epic-user-42",
        "tenant": "hospital-a",
    }
    assert jwks_server.hits["/epic/jwks.json"] == 1


async def test_discovery_requires_a_token(
    client: httpx.AsyncClient, sandbox_signer: Signer
) -> None:
    assert_bare_401(await client.get("/cds-services"))
    token = sandbox_signer.token(PUBLIC_BASE + "/cds-services")
    assert (
        await client.get("/cds-services", headers={"Authorization": f"Bearer {token}"})
    ).status_code == 200


def _hs256_with_public_key(signer: Signer) -> str:
    public_pem = signer.private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    header = {"alg": "HS256", "typ": "JWT", "kid": signer.kid}
    signing_input = unsigned(header, signer.claims()).rsplit(".", 1)[0]
    mac = hmac.new(public_pem, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64(mac)}"


def _tampered(signer: Signer) -> str:
    head, body, sig = signer.token().split(".")
    claims = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    claims["sub"] = "someone-else"
    return f"{head}.{b64(json.dumps(claims).encode())}.{sig}"


def _flipped_signature(signer: Signer) -> str:
    head, body, sig = signer.token().split(".")
    raw = bytearray(base64.urlsafe_b64decode(sig + "=" * (-len(sig) % 4)))
    raw[len(raw) // 2] ^= 0x01
    return f"{head}.{body}.{b64(bytes(raw))}"


def _embedded_key(signer: Signer, how: str) -> str:
    """Signed by the attacker, who offers their own key in the header (RFC 7515 4.1.3, 4.1.5)."""
    attacker = Signer(iss=signer.iss, alg="ES384", kid=signer.kid)
    offer = attacker.public_jwk() if how == "jwk" else "https://evil.example.org/cert.pem"
    return attacker.token(header={how: offer})


ATTACKS: dict[str, tuple[str, Callable[[Signer], str]]] = {
    "alg none": (
        "algorithm 'none' is not accepted",
        lambda s: unsigned({"alg": "none", "typ": "JWT", "kid": s.kid}, s.claims()),
    ),
    "alg None (case)": (
        "algorithm 'None' is not accepted",
        lambda s: unsigned({"alg": "None", "kid": s.kid}, s.claims()),
    ),
    "HS256 signed with the public key": (
        "algorithm 'HS256' is not accepted",
        _hs256_with_public_key,
    ),
    "wrong aud": (
        "InvalidAudienceError",
        lambda s: s.token("https://evil.example.org/cds-services/sarcoma-staging"),
    ),
    "aud of the internal Host": (
        "InvalidAudienceError",
        lambda s: s.token("http://127.0.0.1:8080" + SERVICE_PATH),
    ),
    "aud of another service": (
        "InvalidAudienceError",
        lambda s: s.token(PUBLIC_BASE + "/cds-services/other"),
    ),
    "expired": (
        "ExpiredSignatureError",
        lambda s: s.token(exp=int(time.time()) - 3600, iat=int(time.time()) - 3900),
    ),
    "future iat": (
        "not yet valid (iat)",
        lambda s: s.token(iat=int(time.time()) + 3600, exp=int(time.time()) + 3900),
    ),
    "future nbf": (
        "not yet valid (nbf)",
        lambda s: s.token(nbf=int(time.time()) + 3600),
    ),
    "lifetime too long": (
        "is too long",
        lambda s: s.token(exp=int(time.time()) + 86400),
    ),
    "unknown kid": (
        "unknown kid",
        lambda s: s.token(header={"kid": "not-a-known-kid"}),
    ),
    "no kid": (
        "no kid",
        lambda s: s.token(header={"kid": None}),
    ),
    "jku not allowlisted": (
        "is not allowlisted",
        lambda s: s.token(header={"jku": "https://evil.example.org/jwks.json", "kid": "evil"}),
    ),
    "jku on the allowlist's host, other path": (
        "is not allowlisted",
        lambda s: s.token(
            header={"jku": "https://sandbox.cds-hooks.org/.well-known/jwks.json/../evil.json"}
        ),
    ),
    "untrusted iss": (
        "is not trusted",
        lambda s: s.token(iss="https://evil.example.org"),
    ),
    "missing iss": (
        "issuer None is not trusted",
        lambda s: s.token(drop=("iss",)),
    ),
    "missing aud": (
        'missing the "aud" claim',
        lambda s: s.token(drop=("aud",)),
    ),
    "missing exp": (
        'missing the "exp" claim',
        lambda s: s.token(drop=("exp",)),
    ),
    "missing iat": (
        'missing the "iat" claim',
        lambda s: s.token(drop=("iat",)),
    ),
    "missing jti": (
        'missing the "jti" claim',
        lambda s: s.token(drop=("jti",)),
    ),
    "empty jti": (
        "jti must be a non-empty string",
        lambda s: s.token(jti=""),
    ),
    "tampered payload": (
        "Signature verification failed",
        _tampered,
    ),
    "flipped signature bit": (
        "Signature verification failed",
        _flipped_signature,
    ),
    "signature stripped": (
        "Signature verification failed",
        lambda s: s.token().rsplit(".", 1)[0] + ".",
    ),
    "signed by another key with the trusted kid": (
        "Signature verification failed",
        lambda s: Signer(iss=s.iss, alg="ES384", kid=s.kid).token(),
    ),
    "attacker key embedded as jwk header": (
        "Signature verification failed",
        lambda s: _embedded_key(s, "jwk"),
    ),
    "attacker key referenced by x5u header": (
        "Signature verification failed",
        lambda s: _embedded_key(s, "x5u"),
    ),
    "crit header": (
        "critical extension",
        lambda s: s.token(header={"crit": ["exp"]}),
    ),
    "typ not JWT": (
        "is not JWT",
        lambda s: s.token(header={"typ": "at+jwt"}),
    ),
    "garbage": (
        "undecodable token",
        lambda s: "not.a.jwt",
    ),
    "oversized": (
        "not a compact JWS",
        lambda s: s.token(pad="x" * 10000),
    ),
}


@pytest.mark.parametrize("attack", list(ATTACKS))
async def test_attack_refused_with_bare_401(
    client: httpx.AsyncClient, sandbox_signer: Signer, attack: str, caplog: pytest.LogCaptureFixture
) -> None:
    reason, forge = ATTACKS[attack]
    token = forge(sandbox_signer)
    with caplog.at_level(logging.WARNING, logger="hooks.auth"):
        response = await call(client, token)
    assert_bare_401(response)
    assert "authentication refused" in caplog.text
    assert reason in caplog.text
    # The reason is logged; the token is not (nor any of its segments).
    for segment in token.split("."):
        if len(segment) >= 8:
            assert segment not in caplog.text


async def test_algorithm_not_allowed_for_issuer(
    client: httpx.AsyncClient, sandbox_signer: Signer
) -> None:
    """The Sandbox is pinned to ES384; an ES256 key with its kid is refused before any crypto."""
    other = Signer(iss=sandbox_signer.iss, alg="ES256", kid=sandbox_signer.kid)
    assert_bare_401(await call(client, other.token()))


@pytest.mark.parametrize(
    "authorization",
    ["", "Bearer", "Bearer ", "Basic dXNlcjpwYXNz", "Token abc", "Bearer a b"],
)
async def test_malformed_authorization_header(
    client: httpx.AsyncClient, authorization: str
) -> None:
    response = await client.post(
        SERVICE_PATH, json=REQUEST, headers={"Authorization": authorization}
    )
    assert_bare_401(response)


async def test_no_token(client: httpx.AsyncClient) -> None:
    assert_bare_401(await call(client, None))


async def test_two_authorization_headers(client: httpx.AsyncClient, sandbox_signer: Signer) -> None:
    good = sandbox_signer.token()
    headers = [("Authorization", f"Bearer {good}"), ("Authorization", "Bearer x.y.z")]
    response = await client.post(SERVICE_PATH, json=REQUEST, headers=headers)
    assert_bare_401(response)


async def test_replayed_jti_refused(client: httpx.AsyncClient, sandbox_signer: Signer) -> None:
    token = sandbox_signer.token()
    assert (await call(client, token)).status_code == 200
    assert_bare_401(await call(client, token))
    # A fresh jti from the same client is fine.
    assert (await call(client, sandbox_signer.token())).status_code == 200


async def test_same_jti_from_two_issuers_is_not_a_replay(
    client: httpx.AsyncClient, sandbox_signer: Signer, epic_signer: Signer
) -> None:
    assert (await call(client, sandbox_signer.token(jti="shared"))).status_code == 200
    assert (
        await call(client, epic_signer.token(jti="shared", tenant="hospital-a"))
    ).status_code == 200


async def test_refused_token_does_not_burn_its_jti(
    client: httpx.AsyncClient, sandbox_signer: Signer
) -> None:
    """A forged token carrying a victim's jti must not lock the victim out."""
    forged = Signer(iss=sandbox_signer.iss, alg="ES384", kid=sandbox_signer.kid)
    assert_bare_401(await call(client, forged.token(jti="victim-jti")))
    assert (await call(client, sandbox_signer.token(jti="victim-jti"))).status_code == 200


async def test_tenant_checked_when_configured(
    client: httpx.AsyncClient, epic_signer: Signer
) -> None:
    assert_bare_401(await call(client, epic_signer.token()))
    assert_bare_401(await call(client, epic_signer.token(tenant="hospital-b")))
    assert (await call(client, epic_signer.token(tenant="hospital-a"))).status_code == 200


async def test_leeway_accepts_small_clock_skew(
    client: httpx.AsyncClient, sandbox_signer: Signer
) -> None:
    now = int(time.time())
    assert (
        await call(client, sandbox_signer.token(iat=now + 20, exp=now + 320))
    ).status_code == 200
    assert (
        await call(client, sandbox_signer.token(iat=now - 330, exp=now - 30))
    ).status_code == 200


async def test_aud_as_list_containing_the_url(
    client: httpx.AsyncClient, sandbox_signer: Signer
) -> None:
    token = sandbox_signer.token(aud=[SERVICE_AUD, "https://other.example.org"])  # type: ignore[arg-type]
    assert (await call(client, token)).status_code == 200


@pytest.mark.parametrize(
    "server",
    [
        "https://evil.example.org/fhir",
        "https://launch.smarthealthit.org/v/r4/fhir-evil",
        "https://launch.smarthealthit.org/v/r4",
        "http://launch.smarthealthit.org/v/r4/fhir",
        "https://user:pw@launch.smarthealthit.org/v/r4/fhir",
        "https://launch.smarthealthit.org/v/r4/fhir?x=1",
        "https://127.0.0.1/fhir",
        EPIC_FHIR,  # allowlisted, but for another issuer
        "file:///etc/passwd",
        "",
    ],
)
async def test_fhir_server_not_allowlisted_refused_with_403(
    client: httpx.AsyncClient, sandbox_signer: Signer, server: str
) -> None:
    response = await call(client, sandbox_signer.token(), {**REQUEST, "fhirServer": server})
    assert response.status_code == 403
    assert response.json()["resourceType"] == "OperationOutcome"


@pytest.mark.parametrize(
    "server",
    [SANDBOX_FHIR, SANDBOX_FHIR + "/", "HTTPS://Launch.SmartHealthIT.org:443/v/r4/fhir"],
)
async def test_fhir_server_allowlisted_accepted(
    client: httpx.AsyncClient, sandbox_signer: Signer, server: str
) -> None:
    response = await call(client, sandbox_signer.token(), {**REQUEST, "fhirServer": server})
    assert response.status_code == 200


async def test_pyjwt_decode_never_accepts_hs256_with_a_public_key(sandbox_signer: Signer) -> None:
    """Belt and braces: the library itself refuses the classic confusion, too."""
    token = _hs256_with_public_key(sandbox_signer)
    with pytest.raises(jwt.PyJWTError):
        jwt.decode(token, sandbox_signer.private_key.public_key(), algorithms=["ES384"])
