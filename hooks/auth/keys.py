"""Public signing keys from a JWKS (RFC 7517), each pinned to the algorithms its type allows.

Pinning the algorithm to the key type is what stops algorithm confusion: an RSA or EC public
key is never usable with HS256 (where an attacker would sign with the public key as the HMAC
secret), and an EC P-384 key only ever verifies ES384.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, TypeAlias

from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

#: Curve name (cryptography) -> the one JWS algorithm for it (RFC 7518 section 3.4).
_EC_ALGORITHMS = {"secp256r1": "ES256", "secp384r1": "ES384", "secp521r1": "ES512"}
_RSA_ALGORITHMS = frozenset({"RS256", "RS384", "RS512"})
#: RFC 7518 section 3.3: "A key of size 2048 bits or larger MUST be used".
MIN_RSA_BITS = 2048
#: JWK members that only a private key has (RFC 7518 sections 6.2.2 and 6.3.2).
_PRIVATE_MEMBERS = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth"})
MAX_KEYS = 50

VerifyingKey: TypeAlias = ec.EllipticCurvePublicKey | rsa.RSAPublicKey


@dataclass(frozen=True)
class PublicKey:
    kid: str
    key: VerifyingKey
    #: The JWS algorithms this key may verify.
    algorithms: frozenset[str]


def parse_jwks(document: Any, *, strict: bool) -> dict[str, PublicKey]:
    """The signing keys of a JWKS by ``kid``.

    ``strict`` (configuration files): any unusable key is an error naming it. Otherwise
    (fetched documents): unusable keys are skipped, the document itself must still be a JWKS.
    """
    if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
        raise ValueError("not a JWKS: expected an object with a 'keys' list")
    entries: list[Any] = document["keys"]
    if len(entries) > MAX_KEYS:
        raise ValueError(f"too many keys ({len(entries)} > {MAX_KEYS})")
    keys: dict[str, PublicKey] = {}
    for index, jwk in enumerate(entries):
        try:
            key = parse_jwk(jwk)
        except ValueError as exc:
            if strict:
                raise ValueError(f"keys[{index}]: {exc}") from exc
            continue
        if key is None:
            continue
        if key.kid in keys:
            if strict:
                raise ValueError(f"keys[{index}]: duplicate kid {key.kid!r}")
            continue
        keys[key.kid] = key
    return keys


def parse_jwk(jwk: Any) -> PublicKey | None:
    """One public signing key, ``None`` for a key not meant for signatures, else ValueError."""
    if not isinstance(jwk, dict):
        raise ValueError("a key must be an object")
    if _PRIVATE_MEMBERS & set(jwk):
        raise ValueError("holds private key material: configure only the public key")
    if jwk.get("use", "sig") != "sig":
        return None
    kid = jwk.get("kid")
    if not isinstance(kid, str) or not kid:
        raise ValueError("'kid' is required")
    kty = jwk.get("kty")
    key: VerifyingKey
    algorithms: frozenset[str]
    try:
        if kty == "EC":
            loaded_ec = ECAlgorithm.from_jwk(json.dumps(jwk))
            if not isinstance(loaded_ec, ec.EllipticCurvePublicKey):
                raise ValueError("not an EC public key")
            curve_alg = _EC_ALGORITHMS.get(loaded_ec.curve.name)
            if curve_alg is None:
                raise ValueError(f"unsupported curve {loaded_ec.curve.name}")
            key, algorithms = loaded_ec, frozenset({curve_alg})
        elif kty == "RSA":
            loaded_rsa = RSAAlgorithm.from_jwk(json.dumps(jwk))
            if not isinstance(loaded_rsa, rsa.RSAPublicKey):
                raise ValueError("not an RSA public key")
            if loaded_rsa.key_size < MIN_RSA_BITS:
                raise ValueError(f"RSA key of {loaded_rsa.key_size} bits (< {MIN_RSA_BITS})")
            key, algorithms = loaded_rsa, _RSA_ALGORITHMS
        else:
            raise ValueError(f"unsupported kty {kty!r}: only EC and RSA signing keys")
    except ValueError:
        raise
    except Exception as exc:  # PyJWT raises InvalidKeyError and others for malformed keys
        raise ValueError(f"malformed {kty} key: {type(exc).__name__}") from exc
    declared = jwk.get("alg")
    if declared is not None:
        if declared not in algorithms:
            raise ValueError(f"'alg' {declared!r} does not fit a {kty} key of this kind")
        algorithms = frozenset({declared})
    return PublicKey(kid=kid, key=key, algorithms=algorithms)
