"""Test-only signing keys and JWT minting. Keys are generated at test time, never stored."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

SANDBOX_ISS = "https://sandbox.cds-hooks.org"
EPIC_ISS = "https://fhir.epic.example.org/interconnect-fhir-oauth"
PUBLIC_BASE = "https://cds.example.org/sarcoma"
SERVICE_PATH = "/cds-services/sarcoma-staging"
SERVICE_AUD = PUBLIC_BASE + SERVICE_PATH


@dataclass
class Signer:
    """One client's signing key; ``token()`` mints a CDS client JWT with sane defaults."""

    iss: str
    alg: str
    kid: str = field(default_factory=lambda: str(uuid.uuid4()))
    jku: str | None = None
    private_key: Any = None

    def __post_init__(self) -> None:
        if self.private_key is None:
            if self.alg.startswith("ES"):
                curve = {"ES256": ec.SECP256R1(), "ES384": ec.SECP384R1(), "ES512": ec.SECP521R1()}
                self.private_key = ec.generate_private_key(curve[self.alg])
            else:
                self.private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    def public_jwk(self) -> dict[str, Any]:
        public = self.private_key.public_key()
        if self.alg.startswith("ES"):
            jwk: dict[str, Any] = ECAlgorithm.to_jwk(public, as_dict=True)
        else:
            jwk = RSAAlgorithm.to_jwk(public, as_dict=True)
        return {**jwk, "kid": self.kid, "use": "sig", "alg": self.alg}

    def jwks(self) -> dict[str, Any]:
        return {"keys": [self.public_jwk()]}

    def claims(self, aud: str = SERVICE_AUD, **overrides: Any) -> dict[str, Any]:
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.iss,
            "aud": aud,
            "exp": now + 300,
            "iat": now,
            "jti": str(uuid.uuid4()),
        }
        claims.update(overrides)
        return claims

    def header(self, **overrides: Any) -> dict[str, Any]:
        header: dict[str, Any] = {"typ": "JWT", "kid": self.kid}
        if self.jku:
            header["jku"] = self.jku
        header.update(overrides)
        return {k: v for k, v in header.items() if v is not None}

    def token(
        self,
        aud: str = SERVICE_AUD,
        *,
        drop: tuple[str, ...] = (),
        header: dict[str, Any] | None = None,
        **claims: Any,
    ) -> str:
        payload = {k: v for k, v in self.claims(aud, **claims).items() if k not in drop}
        return jwt.encode(
            payload, self.private_key, algorithm=self.alg, headers=self.header(**(header or {}))
        )
