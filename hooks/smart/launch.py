"""SMART App Launch 2.0 (https://hl7.org/fhir/smart-app-launch/STU2/): discovery,
authorization request with PKCE, token exchange.

- Discovery: ``{iss}/.well-known/smart-configuration``; the server must offer PKCE S256
  (SMART 2.0 requires it; we never fall back to ``plain`` or to no PKCE).
- Authorization code flow (RFC 6749 section 4.1) with PKCE S256 (RFC 7636): a fresh
  ``code_verifier`` per launch kept server side, its SHA-256 ``code_challenge`` sent.
- ``state``: 256 random bits bound to the browser's session, compared in constant time.
- Scopes (SMART v2): ``launch`` (EHR launch) or ``launch/patient`` (standalone), ``openid
  fhirUser``, read/search on Patient, Condition and Observation in the patient compartment,
  and create on Observation (requested up front, used only by "Record staging", SECURITY.md).
- Public client by default; with a client secret, ``client_secret_basic`` (SMART 2.0
  "confidential symmetric").
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import httpx
import jwt

READ_SCOPES = ("patient/Patient.rs", "patient/Condition.rs", "patient/Observation.rs")
WRITE_SCOPE = "patient/Observation.c"
#: Longest discovery or token response read (bytes).
MAX_RESPONSE = 256 * 1024


class LaunchError(Exception):
    """The launch cannot go on; the message is safe to show to the clinician."""


@dataclass(frozen=True, slots=True)
class SmartConfiguration:
    authorization_endpoint: str
    token_endpoint: str


def scopes(*, ehr_launch: bool) -> str:
    """The scope parameter: EHR launch or standalone launch."""
    context = "launch" if ehr_launch else "launch/patient"
    return " ".join((context, "openid", "fhirUser", *READ_SCOPES, WRITE_SCOPE))


def pkce_pair() -> tuple[str, str]:
    """(code_verifier, code_challenge) for S256: 43-128 unreserved characters (RFC 7636 4.1)."""
    verifier = secrets.token_urlsafe(64)  # 86 characters of [A-Za-z0-9_-]
    return verifier, s256(verifier)


def s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def new_state() -> str:
    return secrets.token_urlsafe(32)


async def _get_json(http: httpx.AsyncClient, url: str, what: str, **kwargs: Any) -> Any:
    try:
        response = await http.request(url=url, follow_redirects=False, **kwargs)
    except httpx.HTTPError as exc:
        raise LaunchError(f"the {what} could not be reached ({type(exc).__name__})") from None
    if len(response.content) > MAX_RESPONSE:
        raise LaunchError(f"the {what} answer is too large")
    try:
        body = response.json()
    except ValueError:
        body = None
    return response.status_code, body


async def discover(http: httpx.AsyncClient, iss: str) -> SmartConfiguration:
    """The authorization and token endpoints the FHIR server ``iss`` publishes."""
    status, body = await _get_json(
        http,
        f"{iss}/.well-known/smart-configuration",
        "FHIR server's SMART configuration",
        method="GET",
        headers={"Accept": "application/json"},
    )
    if status != 200 or not isinstance(body, dict):
        raise LaunchError(f"the FHIR server has no SMART configuration (HTTP {status})")
    authorize, token = body.get("authorization_endpoint"), body.get("token_endpoint")
    if not isinstance(authorize, str) or not isinstance(token, str):
        raise LaunchError("the SMART configuration names no authorization or token endpoint")
    methods = body.get("code_challenge_methods_supported")
    if not isinstance(methods, list) or "S256" not in methods:
        raise LaunchError("the EHR does not offer PKCE (S256), which this app requires")
    for url in (authorize, token):
        if not url.startswith(("https://", "http://")):
            raise LaunchError("the SMART configuration has an endpoint that is not a URL")
    return SmartConfiguration(authorize, token)


def authorize_url(
    config: SmartConfiguration,
    *,
    client_id: str,
    redirect_uri: str,
    iss: str,
    state: str,
    challenge: str,
    launch: str | None,
) -> str:
    params = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "scope": scopes(ehr_launch=launch is not None),
        "state": state,
        "aud": iss,
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    if launch is not None:
        params["launch"] = launch
    separator = "&" if "?" in config.authorization_endpoint else "?"
    return config.authorization_endpoint + separator + urlencode(params)


@dataclass(frozen=True, slots=True)
class Grant:
    """What the token endpoint granted (the token itself stays server side)."""

    access_token: str = field(repr=False)
    scopes: frozenset[str]
    patient: str
    expires_in: float | None
    fhir_user: str
    condition: str


async def exchange(
    http: httpx.AsyncClient,
    token_endpoint: str,
    *,
    code: str,
    verifier: str,
    redirect_uri: str,
    client_id: str,
    client_secret: str | None,
) -> Grant:
    """Trade the authorization code (and the PKCE verifier) for an access token."""
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": redirect_uri,
        "code_verifier": verifier,
    }
    auth = None
    if client_secret:
        auth = httpx.BasicAuth(client_id, client_secret)
    else:
        form["client_id"] = client_id
    status, body = await _get_json(
        http,
        token_endpoint,
        "EHR's token endpoint",
        method="POST",
        data=form,
        auth=auth,
        headers={"Accept": "application/json"},
    )
    if status != 200 or not isinstance(body, dict):
        error = body.get("error") if isinstance(body, dict) else None
        detail = f" ({error})" if isinstance(error, str) and error.isascii() else ""
        raise LaunchError(f"the EHR did not issue an access token (HTTP {status}{detail})"[:200])
    token, patient = body.get("access_token"), body.get("patient")
    if not isinstance(token, str) or not token:
        raise LaunchError("the EHR's token response holds no access token")
    if not isinstance(patient, str) or not patient:
        raise LaunchError("the EHR did not say which patient the worksheet is for")
    granted = body.get("scope")
    expires = body.get("expires_in")
    return Grant(
        access_token=token,
        scopes=frozenset(granted.split()) if isinstance(granted, str) else frozenset(),
        patient=patient,
        expires_in=float(expires) if isinstance(expires, int | float) else None,
        fhir_user=_fhir_user(body, client_id),
        condition=_condition(body),
    )


def _fhir_user(body: dict[str, Any], client_id: str) -> str:
    """``fhirUser`` from the id_token, e.g. "Practitioner/123" (relative or absolute URL).

    The id_token came straight from the token endpoint over the back channel, so its origin is
    the server we called (OpenID Connect Core 3.1.3.7 allows TLS server validation in place of
    the signature check); its audience must still be this client.
    """
    id_token = body.get("id_token")
    if not isinstance(id_token, str):
        return ""
    try:
        claims = jwt.decode(
            id_token,
            options={"verify_signature": False, "verify_aud": True, "verify_exp": False},
            audience=client_id,
        )
    except jwt.PyJWTError:
        return ""
    user = claims.get("fhirUser")
    if not isinstance(user, str):
        return ""
    # An absolute URL names the resource by its last two path segments.
    parts = user.rstrip("/").split("/")
    if len(parts) >= 2 and parts[-2] in {"Practitioner", "PractitionerRole", "Person"}:
        return f"{parts[-2]}/{parts[-1]}"
    return ""


def _condition(body: dict[str, Any]) -> str:
    """The Condition the worksheet opens on: the card's ``appContext`` ("Condition/<id>") or a
    SMART 2.0 ``fhirContext`` reference to a Condition."""
    candidates: list[Any] = [body.get("appContext")]
    context = body.get("fhirContext")
    if isinstance(context, list):
        candidates += [c.get("reference") for c in context if isinstance(c, dict)]
    for value in candidates:
        if isinstance(value, str) and value.startswith("Condition/"):
            rid = value.removeprefix("Condition/")
            if rid and len(rid) <= 64 and all(ch.isalnum() or ch in "-." for ch in rid):
                return value
    return ""
