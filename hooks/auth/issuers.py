"""Trusted CDS clients: who may call us, with which keys, and which FHIR servers they may send.

The file named by ``SARCOMA_CDS_TRUSTED_ISSUERS`` (TOML, or JSON when it ends in ``.json``)
holds one ``[[issuers]]`` table per JWT ``iss``:

```toml
[[issuers]]
iss = "https://ehr.example.org"
jwks = { keys = [ { kty = "EC", crv = "P-384", kid = "k1", x = "...", y = "..." } ] }
# or: jwks_file = "ehr-jwks.json"          (relative to this file)
jku = ["https://ehr.example.org/.well-known/jwks.json"]
fhir_servers = ["https://ehr.example.org/fhir/r4"]
tenants = ["hospital-a"]                   # optional: the token's `tenant` must be one of these
algorithms = ["ES384"]                     # optional: default every accepted algorithm
```

Everything is checked at load; an error names the file and the key (``issuers[1].jku[0]``)
so a broken configuration stops the service at start-up, never at the first request.
See CDS Hooks 2.0 "Trusting CDS Clients" (https://cds-hooks.hl7.org/2.0/#trusting-cds-clients).
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from hooks.auth.keys import PublicKey, parse_jwks

#: Asymmetric algorithms we accept. Never ``none``, never HS* (a shared secret is no proof of
#: which client signed), never PS* (not used by any CDS client we know of).
ACCEPTED_ALGORITHMS: frozenset[str] = frozenset(
    {"ES256", "ES384", "ES512", "RS256", "RS384", "RS512"}
)

_ISSUER_KEYS = frozenset(
    {"iss", "jwks", "jwks_file", "jku", "fhir_servers", "tenants", "algorithms"}
)


class IssuerConfigError(ValueError):
    """The trusted issuers file is unreadable or invalid; the message names file and key."""


_Fail = Callable[[str, str], IssuerConfigError]


@dataclass(frozen=True)
class TrustedIssuer:
    """One trusted CDS client (one JWT ``iss``)."""

    iss: str
    #: Keys configured inline or from a file, by ``kid``. Never refetched.
    static_keys: Mapping[str, PublicKey]
    #: Normalized JWKS URLs this issuer may name in the JWT ``jku`` header.
    jku: frozenset[str]
    #: Normalized FHIR server base URLs this issuer may send as ``fhirServer``.
    fhir_servers: frozenset[str]
    #: Allowed ``tenant`` claim values; empty means the claim is not checked.
    tenants: frozenset[str]
    algorithms: frozenset[str]


def normalize_url(url: str, *, allow_http: bool = False) -> str:
    """A URL in one canonical form for allowlist comparison, or ``ValueError``.

    https only (http only when ``allow_http``, for tests), a host, no credentials, no query or
    fragment; scheme and host lower case, default port dropped, trailing slash dropped.
    """
    if not isinstance(url, str) or not url or len(url) > 2048:
        raise ValueError("must be a non-empty URL string of at most 2048 characters")
    if any(ch.isspace() or ord(ch) < 0x20 for ch in url):
        raise ValueError("must not contain whitespace or control characters")
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme != "https" and not (allow_http and scheme == "http"):
        raise ValueError("must be an https URL")
    if parts.username is not None or parts.password is not None:
        raise ValueError("must not contain credentials")
    if parts.query or parts.fragment or url.endswith(("?", "#")):
        raise ValueError("must not contain a query or fragment")
    host = (parts.hostname or "").lower()
    if not host:
        raise ValueError("must name a host")
    try:
        port = parts.port
    except ValueError as exc:
        raise ValueError("has an invalid port") from exc
    netloc = f"[{host}]" if ":" in host else host
    if port is not None and port != {"https": 443, "http": 80}[scheme]:
        netloc = f"{netloc}:{port}"
    return urlunsplit((scheme, netloc, parts.path.rstrip("/"), "", ""))


def load_trusted_issuers(path: Path, *, allow_http: bool = False) -> dict[str, TrustedIssuer]:
    """Read and validate the trusted issuers file; ``IssuerConfigError`` on any problem."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise IssuerConfigError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    try:
        data: Any = json.loads(text) if path.suffix.lower() == ".json" else tomllib.loads(text)
    except (json.JSONDecodeError, tomllib.TOMLDecodeError) as exc:
        raise IssuerConfigError(f"{path}: not valid {path.suffix or 'TOML'}: {exc}") from exc
    return parse_trusted_issuers(data, source=path, allow_http=allow_http)


def parse_trusted_issuers(
    data: Any, *, source: Path, allow_http: bool = False
) -> dict[str, TrustedIssuer]:
    """Validate an already parsed configuration document (see the module docstring)."""
    if not isinstance(data, dict) or set(data) != {"issuers"}:
        raise IssuerConfigError(f"{source}: the document must have exactly one key, 'issuers'")
    entries = data["issuers"]
    if not isinstance(entries, list) or not entries:
        raise IssuerConfigError(f"{source}: issuers: must be a non-empty list of tables")
    issuers: dict[str, TrustedIssuer] = {}
    for index, entry in enumerate(entries):
        issuer = _parse_issuer(entry, f"issuers[{index}]", source, allow_http)
        if issuer.iss in issuers:
            raise IssuerConfigError(f"{source}: issuers[{index}].iss: duplicate {issuer.iss!r}")
        issuers[issuer.iss] = issuer
    return issuers


def _parse_issuer(entry: Any, where: str, source: Path, allow_http: bool) -> TrustedIssuer:
    def fail(key: str, message: str) -> IssuerConfigError:
        return IssuerConfigError(f"{source}: {where}.{key}: {message}")

    if not isinstance(entry, dict):
        raise IssuerConfigError(f"{source}: {where}: must be a table")
    unknown = sorted(set(entry) - _ISSUER_KEYS)
    if unknown:
        raise fail(unknown[0], f"unknown key (allowed: {', '.join(sorted(_ISSUER_KEYS))})")
    iss = entry.get("iss")
    if not isinstance(iss, str) or not iss.strip() or iss != iss.strip():
        raise fail("iss", "required, a non-empty string without surrounding spaces")

    algorithms = frozenset(
        _strings(entry.get("algorithms", sorted(ACCEPTED_ALGORITHMS)), fail, "algorithms")
    )
    bad = sorted(algorithms - ACCEPTED_ALGORITHMS)
    if bad or not algorithms:
        allowed = ", ".join(sorted(ACCEPTED_ALGORITHMS))
        raise fail("algorithms", f"{bad or 'empty'}: allowed: {allowed}")

    static_keys: dict[str, PublicKey] = {}
    if "jwks" in entry and "jwks_file" in entry:
        raise fail("jwks_file", "give either jwks or jwks_file, not both")
    if "jwks" in entry:
        static_keys = _keys(entry["jwks"], fail, "jwks")
    elif "jwks_file" in entry:
        file_name = entry["jwks_file"]
        if not isinstance(file_name, str) or not file_name:
            raise fail("jwks_file", "must be a file path")
        jwks_path = (source.parent / file_name).resolve()
        try:
            document = json.loads(jwks_path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise fail("jwks_file", f"cannot read JWKS from {jwks_path}: {exc}") from exc
        static_keys = _keys(document, fail, "jwks_file")

    jku: set[str] = set()
    for i, url in enumerate(_strings(entry.get("jku", []), fail, "jku")):
        try:
            jku.add(normalize_url(url, allow_http=allow_http))
        except ValueError as exc:
            raise fail(f"jku[{i}]", str(exc)) from exc
    if not static_keys and not jku:
        raise fail("jwks", "no keys: give jwks, jwks_file or at least one jku URL")

    fhir_servers: set[str] = set()
    for i, url in enumerate(_strings(entry.get("fhir_servers", []), fail, "fhir_servers")):
        try:
            fhir_servers.add(normalize_url(url, allow_http=allow_http))
        except ValueError as exc:
            raise fail(f"fhir_servers[{i}]", str(exc)) from exc

    tenants = frozenset(_strings(entry.get("tenants", []), fail, "tenants"))
    if any(not t for t in tenants):
        raise fail("tenants", "tenant names must be non-empty")
    return TrustedIssuer(
        iss=iss,
        static_keys=static_keys,
        jku=frozenset(jku),
        fhir_servers=frozenset(fhir_servers),
        tenants=tenants,
        algorithms=algorithms,
    )


def _strings(value: Any, fail: _Fail, key: str) -> Sequence[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise fail(key, "must be a list of strings")
    return value


def _keys(document: Any, fail: _Fail, key: str) -> dict[str, PublicKey]:
    try:
        keys = parse_jwks(document, strict=True)
    except ValueError as exc:
        raise fail(key, str(exc)) from exc
    if not keys:
        raise fail(key, "the JWKS holds no usable signing key")
    return keys
