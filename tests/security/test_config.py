"""Authentication settings, the auth-off mode and the outbound fhirServer check."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from starlette.requests import Request

from hooks.auth import (
    ANONYMOUS,
    AuthConfig,
    AuthConfigError,
    Authenticator,
    ClientIdentity,
    FhirServerNotAllowed,
    check_fhir_server,
)

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = str(REPO / "config" / "trusted-issuers.example.toml")
ON = {
    "SARCOMA_CDS_TRUSTED_ISSUERS": EXAMPLE,
    "SARCOMA_CDS_PUBLIC_BASE_URL": "https://cds.example.org/sarcoma/",
}


def test_defaults_are_secure(tmp_path: Path) -> None:
    config = AuthConfig.from_env({**ON, "SARCOMA_CDS_DB": str(tmp_path / "db.sqlite3")})
    assert config.enabled
    assert not config.discovery_open
    assert not config.allow_insecure_http
    assert config.public_base_url == "https://cds.example.org/sarcoma"
    assert config.leeway == 60


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({}, "SARCOMA_CDS_TRUSTED_ISSUERS"),
        ({"SARCOMA_CDS_TRUSTED_ISSUERS": EXAMPLE}, "SARCOMA_CDS_PUBLIC_BASE_URL"),
        ({**ON, "SARCOMA_CDS_PUBLIC_BASE_URL": "http://cds.example.org"}, "PUBLIC_BASE_URL"),
        ({**ON, "SARCOMA_CDS_PUBLIC_BASE_URL": "https://cds.example.org?a=b"}, "PUBLIC_BASE_URL"),
        ({**ON, "SARCOMA_CDS_AUTH": "maybe"}, "SARCOMA_CDS_AUTH"),
        ({**ON, "SARCOMA_CDS_AUTH_LEEWAY": "lots"}, "SARCOMA_CDS_AUTH_LEEWAY"),
        ({**ON, "SARCOMA_CDS_AUTH_LEEWAY": "3600"}, "SARCOMA_CDS_AUTH_LEEWAY"),
        ({**ON, "SARCOMA_CDS_AUTH_MAX_LIFETIME": "-1"}, "SARCOMA_CDS_AUTH_MAX_LIFETIME"),
    ],
)
def test_bad_settings_name_the_variable(env: dict[str, str], variable: str) -> None:
    with pytest.raises(AuthConfigError, match=variable):
        AuthConfig.from_env(env)


def test_broken_issuers_file_stops_start_up(tmp_path: Path) -> None:
    broken = tmp_path / "issuers.toml"
    broken.write_text('[[issuers]]\niss = "x"\n')
    env = {**ON, "SARCOMA_CDS_TRUSTED_ISSUERS": str(broken), "SARCOMA_CDS_DB": str(tmp_path / "d")}
    with pytest.raises(ValueError, match=r"issuers\.toml: issuers\[0\]\.jwks: no keys"):
        Authenticator.from_env(env)


@pytest.mark.anyio
async def test_auth_off_warns_loudly_and_accepts_anyone(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="hooks.auth"):
        authenticator = Authenticator.from_env({"SARCOMA_CDS_AUTH": "off"})
    assert "AUTHENTICATION IS OFF" in caplog.text
    assert not authenticator.enabled
    assert authenticator.discovery_open
    request = Request({"type": "http", "method": "POST", "path": "/x", "headers": []})
    identity = await authenticator.authenticate(request)
    assert identity is ANONYMOUS
    authenticator.check_fhir_server(identity, "http://localhost:8080/fhir")
    await authenticator.aclose()


def test_audience_comes_from_configuration_not_from_host(tmp_path: Path) -> None:
    env = {**ON, "SARCOMA_CDS_DB": str(tmp_path / "db.sqlite3")}
    authenticator = Authenticator.from_env(env)
    scope = {
        "type": "http",
        "method": "POST",
        "path": "/cds-services/sarcoma-staging",
        "root_path": "",
        "headers": [(b"host", b"evil.example.org"), (b"x-forwarded-host", b"evil.example.org")],
    }
    expected = "https://cds.example.org/sarcoma/cds-services/sarcoma-staging"
    assert authenticator.audience(Request(scope)) == expected
    # Behind a proxy that forwards the prefix and sets root_path, the result is the same.
    prefixed = {**scope, "path": "/sarcoma/cds-services/sarcoma-staging", "root_path": "/sarcoma"}
    assert authenticator.audience(Request(prefixed)) == expected


IDENTITY = ClientIdentity(
    authenticated=True,
    iss="https://ehr.example.org",
    fhir_servers=frozenset({"https://ehr.example.org/fhir/r4"}),
)


@pytest.mark.parametrize(
    "url",
    ["https://ehr.example.org/fhir/r4", "https://EHR.example.org:443/fhir/r4/"],
)
def test_allowlisted_fhir_server(url: str) -> None:
    check_fhir_server(IDENTITY, url)


@pytest.mark.parametrize(
    "url",
    [
        "http://ehr.example.org/fhir/r4",
        "https://ehr.example.org/fhir/r4/../../admin",
        "https://ehr.example.org/fhir/r4x",
        "https://ehr.example.org.evil.org/fhir/r4",
        "https://ehr.example.org@evil.org/fhir/r4",
        "https://169.254.169.254/latest/meta-data",
        "https://ehr.example.org:8443/fhir/r4",
    ],
)
def test_other_fhir_servers_refused(url: str) -> None:
    with pytest.raises(FhirServerNotAllowed):
        check_fhir_server(IDENTITY, url)


def test_http_fhir_server_only_when_allowed_for_tests() -> None:
    identity = ClientIdentity(
        authenticated=True, fhir_servers=frozenset({"http://127.0.0.1:9/fhir"}), allow_http=True
    )
    check_fhir_server(identity, "http://127.0.0.1:9/fhir")
    strict = ClientIdentity(authenticated=True, fhir_servers=identity.fhir_servers)
    with pytest.raises(FhirServerNotAllowed, match="https"):
        check_fhir_server(strict, "http://127.0.0.1:9/fhir")


def test_client_with_no_fhir_servers_may_not_name_any() -> None:
    identity = ClientIdentity(authenticated=True, fhir_servers=frozenset())
    with pytest.raises(FhirServerNotAllowed):
        check_fhir_server(identity, "https://ehr.example.org/fhir/r4")
