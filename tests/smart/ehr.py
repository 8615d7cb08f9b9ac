"""A test EHR that plays its part in a SMART App Launch 2.0: authorization server and a
token-checking front for the real FHIR server process (SEKMET, ``tests/service/fhir_server.py``,
whose own authentication knows only one static token).

- ``GET  {base}/fhir/.well-known/smart-configuration``: endpoints, PKCE S256, capabilities.
- ``GET  {base}/auth/authorize``: checks the request (client, redirect URI, ``aud``, PKCE S256,
  the EHR ``launch`` id or ``launch/patient``) and shows a consent page: Allow or Deny, with
  the permission to record (``patient/Observation.c``) as a checkbox; standalone launch shows a
  patient choice.
- ``POST {base}/auth/token``: one-time codes bound to client, redirect URI and PKCE challenge
  (the verifier's S256 must match); answers the access token, granted scopes, ``patient``,
  ``appContext`` and an ``id_token`` naming the ``fhirUser``.
- ``{base}/fhir/...``: every request needs a live token; reads must stay in the token's patient
  compartment and need ``.r``/``.s`` on the resource type; a transaction needs ``.c`` on every
  resource it creates, all for the token's patient. Allowed requests go to SEKMET.

``{base}/open/fhir/...`` is the same data as an open server (no token, reads only), for the
worksheet's demo mode.

Knobs for tests: ``refuse_writes`` (a status and OperationOutcome text the FHIR side answers a
write with), ``expire_tokens()``, ``register_launch()``, and the ``log`` of requests seen.
"""

from __future__ import annotations

import base64
import hashlib
import html
import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import jwt
import orjson

from tests.service.fhir_server import FhirServer

CLIENT_ID = "sarcoma-cds-worksheet"
PRACTITIONER = "Practitioner/dr-okafor"
ID_TOKEN_KEY = secrets.token_bytes(32)


@dataclass
class Grant:
    patient: str
    scopes: frozenset[str]
    expires: float
    app_context: str = ""


@dataclass
class PendingCode:
    grant: Grant
    client_id: str
    redirect_uri: str
    challenge: str
    used: bool = False
    created: float = field(default_factory=time.time)


@dataclass
class FakeEhr:
    base: str
    fhir: FhirServer
    redirect_uris: set[str] = field(default_factory=set)
    launches: dict[str, tuple[str, str]] = field(default_factory=dict)  # id -> patient, context
    codes: dict[str, PendingCode] = field(default_factory=dict)
    tokens: dict[str, Grant] = field(default_factory=dict)
    requests_: dict[str, dict[str, Any]] = field(default_factory=dict)  # consent pages
    refuse_writes: tuple[int, str] | None = None
    log: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def fhir_base(self) -> str:
        return f"{self.base}/fhir"

    def register_launch(self, patient: str, app_context: str = "") -> str:
        launch = secrets.token_urlsafe(12)
        self.launches[launch] = (patient, app_context)
        return launch

    def issue_token(self, patient: str, scopes: str, lifetime: float = 3600) -> str:
        token = secrets.token_urlsafe(24)
        self.tokens[token] = Grant(patient, frozenset(scopes.split()), time.time() + lifetime)
        return token

    def expire_tokens(self) -> None:
        for grant in self.tokens.values():
            grant.expires = 0.0

    # --- authorization --------------------------------------------------------------------

    def smart_configuration(self) -> dict[str, Any]:
        return {
            "issuer": self.base,
            "authorization_endpoint": f"{self.base}/auth/authorize",
            "token_endpoint": f"{self.base}/auth/token",
            "token_endpoint_auth_methods_supported": ["none", "client_secret_basic"],
            "grant_types_supported": ["authorization_code"],
            "scopes_supported": ["openid", "fhirUser", "launch", "launch/patient"],
            "response_types_supported": ["code"],
            "code_challenge_methods_supported": ["S256"],
            "capabilities": [
                "launch-ehr",
                "launch-standalone",
                "client-public",
                "context-ehr-patient",
                "context-standalone-patient",
                "permission-v2",
                "permission-patient",
                "sso-openid-connect",
            ],
        }

    def authorize(self, query: dict[str, str]) -> tuple[int, str]:
        """The consent page, or an error page (never a redirect to an unchecked URI)."""
        redirect = query.get("redirect_uri", "")
        if query.get("client_id") != CLIENT_ID or redirect not in self.redirect_uris:
            return 400, "unknown client or redirect_uri"
        problems = []
        if query.get("response_type") != "code":
            problems.append("response_type")
        if (
            query.get("code_challenge_method") != "S256"
            or len(query.get("code_challenge", "")) < 43
        ):
            problems.append("PKCE S256")
        if query.get("aud") != self.fhir_base:
            problems.append("aud")
        if not query.get("state"):
            problems.append("state")
        scopes = query.get("scope", "").split()
        patient, context = "", ""
        if "launch" in scopes:
            found = self.launches.get(query.get("launch", ""))
            if found is None:
                problems.append("launch")
            else:
                patient, context = found
        elif "launch/patient" not in scopes:
            problems.append("launch context")
        if problems:
            return 400, "invalid authorization request: " + ", ".join(problems)
        request_id = secrets.token_urlsafe(12)
        self.requests_[request_id] = {**query, "patient": patient, "context": context}
        return 200, _consent_page(request_id, scopes, patient)

    def consent(self, form: dict[str, str]) -> str:
        """The redirect back to the app: a code, or ``access_denied``."""
        pending = self.requests_.pop(form.get("request", ""), None)
        if pending is None:
            raise ValueError("unknown consent request")
        target = pending["redirect_uri"]
        if form.get("decision") != "allow":
            return f"{target}?{urlencode({'error': 'access_denied', 'state': pending['state']})}"
        patient = pending["patient"] or form.get("patient", "")
        requested = pending["scope"].split()
        granted = {s for s in requested if s != "patient/Observation.c"}
        if form.get("write") == "on" and "patient/Observation.c" in requested:
            granted.add("patient/Observation.c")
        code = secrets.token_urlsafe(24)
        self.codes[code] = PendingCode(
            Grant(patient, frozenset(granted), 0.0, pending["context"]),
            pending["client_id"],
            target,
            pending["code_challenge"],
        )
        return f"{target}?{urlencode({'code': code, 'state': pending['state']})}"

    def token(self, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        pending = self.codes.get(form.get("code", ""))
        if form.get("grant_type") != "authorization_code" or pending is None:
            return 400, {"error": "invalid_grant"}
        if pending.used or time.time() - pending.created > 60:
            return 400, {"error": "invalid_grant"}
        pending.used = True  # one-time, even when the rest fails
        if form.get("client_id") != pending.client_id:
            return 401, {"error": "invalid_client"}
        if form.get("redirect_uri") != pending.redirect_uri:
            return 400, {"error": "invalid_grant"}
        verifier = form.get("code_verifier", "")
        digest = hashlib.sha256(verifier.encode()).digest()
        if base64.urlsafe_b64encode(digest).rstrip(b"=").decode() != pending.challenge:
            return 400, {"error": "invalid_grant", "error_description": "PKCE"}
        grant = pending.grant
        token = secrets.token_urlsafe(24)
        self.tokens[token] = Grant(grant.patient, grant.scopes, time.time() + 3600)
        id_token = jwt.encode(
            {
                "iss": self.base,
                "sub": "dr-okafor",
                "aud": CLIENT_ID,
                "exp": int(time.time()) + 3600,
                "iat": int(time.time()),
                "fhirUser": f"{self.fhir_base}/{PRACTITIONER}",
            },
            ID_TOKEN_KEY,
            algorithm="HS256",
        )
        body: dict[str, Any] = {
            "access_token": token,
            "token_type": "Bearer",
            "expires_in": 3600,
            "scope": " ".join(sorted(grant.scopes)),
            "patient": grant.patient,
            "id_token": id_token,
        }
        if grant.app_context:
            body["appContext"] = grant.app_context
        return 200, body

    # --- FHIR front -----------------------------------------------------------------------

    def check_fhir(self, method: str, path: str, query: str, body: bytes, auth: str) -> str:
        """Why the request is refused ("" when allowed)."""
        grant = self.tokens.get(auth.removeprefix("Bearer "))
        if not auth.startswith("Bearer ") or grant is None or grant.expires < time.time():
            return "401"
        parts = [p for p in path.removeprefix("/fhir").split("/") if p]
        params = parse_qs(query)
        if method == "GET" and len(parts) == 2 and parts[0] == "Patient":
            return "" if parts[1] == grant.patient and _allows(grant, "Patient", "r") else "403"
        if method == "GET" and len(parts) == 1 and parts[0] in {"Condition", "Observation"}:
            in_compartment = params.get("patient") == [grant.patient]
            return "" if in_compartment and _allows(grant, parts[0], "s") else "403"
        if method == "POST" and not parts:
            bundle = orjson.loads(body)
            for entry in bundle.get("entry", []):
                resource = entry.get("resource", {})
                if (
                    entry.get("request", {}).get("method") != "POST"
                    or resource.get("subject", {}).get("reference") != f"Patient/{grant.patient}"
                    or not _allows(grant, resource.get("resourceType", ""), "c")
                ):
                    return "403"
            return ""
        return "403"


def _allows(grant: Grant, resource: str, permission: str) -> bool:
    for scope in grant.scopes:
        context, _, rest = scope.partition("/")
        kind, _, permissions = rest.partition(".")
        if context == "patient" and kind == resource and permission in permissions:
            return True
    return False


def _consent_page(request_id: str, scopes: list[str], patient: str) -> str:
    items = "".join(f"<li>{html.escape(s)}</li>" for s in scopes)
    choose = (
        ""
        if patient
        else '<label>Patient <select name="patient"><option>golden-gx</option>'
        "<option>golden-lms</option></select></label>"
    )
    return (
        "<!doctype html><html lang='en'><head><title>Test EHR: allow access?</title></head><body>"
        "<h1>Test EHR: the staging worksheet asks for access</h1>"
        f"<ul>{items}</ul><form method='post' action='/auth/consent'>"
        f"<input type='hidden' name='request' value='{request_id}'>{choose}"
        "<label><input type='checkbox' name='write' checked> Allow recording staging "
        "(patient/Observation.c)</label>"
        "<button name='decision' value='allow'>Allow</button>"
        "<button name='decision' value='deny'>Deny</button></form></body></html>"
    )


@contextmanager
def running_ehr(fhir: FhirServer) -> Iterator[FakeEhr]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    ehr = FakeEhr(base=f"http://127.0.0.1:{server.server_address[1]}", fhir=fhir)
    server.ehr = ehr  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield ehr
    finally:
        server.shutdown()
        server.server_close()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    @property
    def ehr(self) -> FakeEhr:
        ehr: FakeEhr = self.server.ehr  # type: ignore[attr-defined]
        return ehr

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _send(
        self, status: int, body: bytes, content_type: str, extra: dict[str, str] | None = None
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (extra or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def _json(self, status: int, body: Any, content_type: str = "application/json") -> None:
        self._send(status, orjson.dumps(body), content_type)

    def _body(self) -> bytes:
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def _form(self) -> dict[str, str]:
        return {k: v[0] for k, v in parse_qs(self._body().decode()).items()}

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        self.ehr.log.append(f"GET {url.path}")
        if url.path == "/fhir/.well-known/smart-configuration":
            self._json(200, self.ehr.smart_configuration())
        elif url.path == "/auth/authorize":
            status, page = self.ehr.authorize({k: v[0] for k, v in parse_qs(url.query).items()})
            self._send(status, page.encode(), "text/html; charset=utf-8")
        elif url.path.startswith("/fhir/"):
            self._fhir("GET", url.path, url.query, b"")
        elif url.path.startswith("/open/fhir/"):  # an open server: no token (demo mode)
            self._forward("GET", url.path.removeprefix("/open"), url.query, b"", "/open/fhir")
        else:
            self._send(404, b"", "text/plain")

    def do_POST(self) -> None:
        url = urlsplit(self.path)
        self.ehr.log.append(f"POST {url.path}")
        if url.path == "/auth/consent":
            target = self.ehr.consent(self._form())
            self._send(302, b"", "text/plain", {"Location": target})
        elif url.path == "/auth/token":
            status, body = self.ehr.token(self._form())
            self._json(status, body)
        elif url.path in ("/fhir", "/fhir/"):
            self._fhir("POST", "/fhir", url.query, self._body())
        else:
            self._send(404, b"", "text/plain")

    def _fhir(self, method: str, path: str, query: str, body: bytes) -> None:
        ehr = self.ehr
        refusal = ehr.check_fhir(method, path, query, body, self.headers.get("Authorization", ""))
        if refusal:
            outcome = {
                "resourceType": "OperationOutcome",
                "issue": [
                    {
                        "severity": "error",
                        "code": "forbidden" if refusal == "403" else "login",
                        "diagnostics": "access token does not allow this request",
                    }
                ],
            }
            self._json(int(refusal), outcome, "application/fhir+json")
            return
        if method == "POST" and ehr.refuse_writes is not None:
            status, text = ehr.refuse_writes
            outcome = {
                "resourceType": "OperationOutcome",
                "issue": [{"severity": "error", "code": "business-rule", "diagnostics": text}],
            }
            self._json(status, outcome, "application/fhir+json")
            return
        self._forward(method, path, query, body, "/fhir")

    def _forward(self, method: str, path: str, query: str, body: bytes, mount: str) -> None:
        ehr = self.ehr
        target = ehr.fhir.base + path.removeprefix("/fhir") + (f"?{query}" if query else "")
        headers = {**ehr.fhir.headers(), "Content-Type": "application/fhir+json"}
        answer = httpx.request(method, target, content=body or None, headers=headers, timeout=10)
        content = answer.content.replace(ehr.fhir.base.encode(), (ehr.base + mount).encode())
        self._send(
            answer.status_code, content, answer.headers.get("content-type", "application/fhir+json")
        )
