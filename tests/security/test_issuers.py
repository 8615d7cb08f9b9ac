"""The trusted issuers file: validated at load, errors name the file and the key."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from hooks.auth.issuers import (
    IssuerConfigError,
    load_trusted_issuers,
    normalize_url,
    parse_trusted_issuers,
)
from tests.security.tokens import Signer

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "config" / "trusted-issuers.example.toml"
SANDBOX_KID = "44823f3d-0b01-4a6c-a80e-b9d3e8a7226f"


def test_example_config_trusts_the_sandbox_public_key_only() -> None:
    issuers = load_trusted_issuers(EXAMPLE)
    sandbox = issuers["https://sandbox.cds-hooks.org"]
    assert set(sandbox.static_keys) == {SANDBOX_KID}
    assert sandbox.static_keys[SANDBOX_KID].algorithms == {"ES384"}
    assert sandbox.algorithms == {"ES384"}
    assert sandbox.jku == {"https://sandbox.cds-hooks.org/.well-known/jwks.json"}
    assert all(url.startswith("https://") for url in sandbox.fhir_servers)
    assert "TESTING ONLY" in EXAMPLE.read_text()


def test_toml_json_and_jwks_file_forms(tmp_path: Path) -> None:
    signer = Signer(iss="https://ehr.example.org", alg="RS384")
    (tmp_path / "ehr-jwks.json").write_text(json.dumps(signer.jwks()))
    (tmp_path / "issuers.toml").write_text(
        '[[issuers]]\niss = "https://ehr.example.org"\njwks_file = "ehr-jwks.json"\n'
        'fhir_servers = ["https://EHR.example.org:443/fhir/"]\ntenants = ["a"]\n'
    )
    issuer = load_trusted_issuers(tmp_path / "issuers.toml")["https://ehr.example.org"]
    assert issuer.static_keys[signer.kid].algorithms == {"RS384"}
    assert issuer.fhir_servers == {"https://ehr.example.org/fhir"}
    assert issuer.tenants == {"a"}
    (tmp_path / "issuers.json").write_text(
        json.dumps({"issuers": [{"iss": signer.iss, "jwks": signer.jwks()}]})
    )
    assert signer.iss in load_trusted_issuers(tmp_path / "issuers.json")


def _entry(**overrides: Any) -> dict[str, Any]:
    signer = Signer(iss="https://ehr.example.org", alg="ES384", kid="k1")
    entry: dict[str, Any] = {"iss": signer.iss, "jwks": signer.jwks()}
    entry.update(overrides)
    return {k: v for k, v in entry.items() if v is not None}


ES256_JWK = Signer(iss="x", alg="ES256", kid="k").public_jwk()


@pytest.mark.parametrize(
    ("document", "where"),
    [
        ({}, "exactly one key, 'issuers'"),
        ({"issuers": []}, "issuers: must be a non-empty list"),
        ({"issuers": ["x"]}, "issuers[0]: must be a table"),
        ({"issuers": [_entry(iss=None)]}, "issuers[0].iss: required"),
        ({"issuers": [_entry(iss=" x")]}, "issuers[0].iss"),
        ({"issuers": [_entry(jwks=None)]}, "issuers[0].jwks: no keys"),
        ({"issuers": [_entry(colour="red")]}, "issuers[0].colour: unknown key"),
        ({"issuers": [_entry(algorithms=["HS256"])]}, "issuers[0].algorithms"),
        ({"issuers": [_entry(algorithms=["none"])]}, "issuers[0].algorithms"),
        ({"issuers": [_entry(algorithms=[])]}, "issuers[0].algorithms"),
        (
            {"issuers": [_entry(jku=["http://ehr.example.org/jwks"])]},
            "issuers[0].jku[0]: must be an https",
        ),
        (
            {"issuers": [_entry(jku="https://ehr.example.org/jwks")]},
            "issuers[0].jku: must be a list",
        ),
        (
            {"issuers": [_entry(fhir_servers=["https://a/fhir", "ftp://b"])]},
            "issuers[0].fhir_servers[1]",
        ),
        ({"issuers": [_entry(fhir_servers=["https://u:p@a/fhir"])]}, "credentials"),
        ({"issuers": [_entry(fhir_servers=["https://a/fhir?x=1"])]}, "query"),
        ({"issuers": [_entry(tenants=[""])]}, "issuers[0].tenants"),
        (
            {"issuers": [_entry(jwks={"keys": [{**ES256_JWK, "d": "AAAA"}]})]},
            "private key material",
        ),
        (
            {"issuers": [_entry(jwks={"keys": [{"kty": "oct", "kid": "s", "k": "c2VjcmV0"}]})]},
            "unsupported kty",
        ),
        ({"issuers": [_entry(jwks={"keys": [{**ES256_JWK, "kid": None}]})]}, "'kid' is required"),
        ({"issuers": [_entry(jwks={"keys": [ES256_JWK, ES256_JWK]})]}, "duplicate kid"),
        ({"issuers": [_entry(jwks={"keys": [{**ES256_JWK, "alg": "ES384"}]})]}, "does not fit"),
        ({"issuers": [_entry(jwks={"keys": [{**ES256_JWK, "x": "AAAA"}]})]}, "malformed EC key"),
        (
            {"issuers": [_entry(jwks={"keys": [{**ES256_JWK, "use": "enc"}]})]},
            "no usable signing key",
        ),
        ({"issuers": [_entry(jwks={"keys": "k"})]}, "not a JWKS"),
        ({"issuers": [_entry(jwks={"keys": []}, jwks_file="x.json")]}, "not both"),
        ({"issuers": [_entry(), _entry()]}, "issuers[1].iss: duplicate"),
    ],
)
def test_invalid_configuration_names_file_and_key(
    document: dict[str, Any], where: str, tmp_path: Path
) -> None:
    source = tmp_path / "issuers.toml"
    with pytest.raises(IssuerConfigError) as info:
        parse_trusted_issuers(document, source=source)
    assert str(info.value).startswith(f"{source}: ")
    assert where in str(info.value)


def test_small_rsa_key_refused(tmp_path: Path) -> None:
    weak = rsa.generate_private_key(65537, 1024)  # noqa: S505 (the point of the test)
    small = Signer(iss="x", alg="RS256", private_key=weak)
    with pytest.raises(IssuerConfigError, match="1024 bits"):
        parse_trusted_issuers({"issuers": [_entry(jwks=small.jwks())]}, source=tmp_path / "i")


def test_unreadable_and_malformed_files(tmp_path: Path) -> None:
    with pytest.raises(IssuerConfigError, match="cannot read"):
        load_trusted_issuers(tmp_path / "missing.toml")
    (tmp_path / "bad.toml").write_text("[[issuers]\n")
    with pytest.raises(IssuerConfigError, match=r"bad\.toml: not valid"):
        load_trusted_issuers(tmp_path / "bad.toml")
    (tmp_path / "bad.json").write_text("{")
    with pytest.raises(IssuerConfigError, match=r"bad\.json: not valid"):
        load_trusted_issuers(tmp_path / "bad.json")
    (tmp_path / "i.toml").write_text('[[issuers]]\niss = "x"\njwks_file = "nope.json"\n')
    with pytest.raises(IssuerConfigError, match=r"issuers\[0\]\.jwks_file: cannot read JWKS"):
        load_trusted_issuers(tmp_path / "i.toml")


def test_http_allowed_only_for_tests(tmp_path: Path) -> None:
    document = {"issuers": [_entry(jku=["http://127.0.0.1:8123/jwks.json"])]}
    with pytest.raises(IssuerConfigError):
        parse_trusted_issuers(document, source=tmp_path / "i")
    issuers = parse_trusted_issuers(document, source=tmp_path / "i", allow_http=True)
    assert issuers["https://ehr.example.org"].jku == {"http://127.0.0.1:8123/jwks.json"}


@pytest.mark.parametrize(
    ("url", "normalized"),
    [
        ("https://EHR.Example.org/fhir/", "https://ehr.example.org/fhir"),
        ("https://ehr.example.org:443/fhir", "https://ehr.example.org/fhir"),
        ("https://ehr.example.org:8443/fhir", "https://ehr.example.org:8443/fhir"),
        ("https://[::1]:8443/r4", "https://[::1]:8443/r4"),
        ("https://ehr.example.org", "https://ehr.example.org"),
    ],
)
def test_normalize_url(url: str, normalized: str) -> None:
    assert normalize_url(url) == normalized


@pytest.mark.parametrize(
    "url",
    [
        "",
        "ehr.example.org/fhir",
        "http://ehr.example.org",
        "https://",
        "https://ehr.example.org/fhir?",
        "https://ehr.example.org/fhir#x",
        "https://ehr.example.org:99999/fhir",
        "https://ehr.example.org/fh ir",
        "https://ehr.example.org/\nfhir",
        "javascript:alert(1)",
    ],
)
def test_normalize_url_refuses(url: str) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 (the message varies by the rule broken)
        normalize_url(url)
