"""Signature verification shared by id_token, logout token and access token validation.

joserfc does the JOSE work; this module only resolves the key from the JWKS and
maps joserfc's exceptions onto the caller's exception class.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any, TypeGuard

from joserfc import jwt
from joserfc.errors import JoseError

from .discovery import Discovery
from .errors import DiscoveryError, SSOError


def verify_signed_jwt(
    token: str,
    discovery: Discovery,
    algorithms: Collection[str],
    error: type[SSOError],
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Verify a compact JWS JWT; return (header, claims) or raise ``error``.

    The ``alg`` comes from the header but must be one of ``algorithms``, and the key
    must have the matching type, so ``none`` and HMAC-with-public-key tricks fail.
    """
    if not isinstance(token, str) or token.count(".") != 2:
        raise error("not a compact JWS")
    allowed = list(algorithms)

    def resolve(obj: Any) -> Any:
        header = obj.headers()
        alg = header.get("alg")
        if alg not in allowed:
            raise error(f"algorithm {alg!r} not allowed")
        return discovery.get_key(header.get("kid"), alg)

    try:
        tok = jwt.decode(token, resolve, algorithms=allowed)
    except SSOError as exc:
        if isinstance(exc, error):
            raise
        if isinstance(exc, DiscoveryError):
            raise error(str(exc)) from exc
        raise
    except (JoseError, ValueError, TypeError, KeyError) as exc:
        raise error(f"{type(exc).__name__}: {exc}") from exc
    if not isinstance(tok.claims, dict):
        raise error("claims are not a JSON object")
    return dict(tok.header), dict(tok.claims)


def check_typ(header: dict[str, Any], expected: str, error: type[SSOError], *, required: bool) -> None:
    """Check the JOSE ``typ`` header against a media type like ``at+jwt`` (RFC 8725 §3.11)."""
    typ = header.get("typ")
    if typ is None:
        if required:
            raise error(f"missing typ header (expected {expected})")
        return
    if not isinstance(typ, str):
        raise error("typ header is not a string")
    normalized = typ.lower()
    if normalized.startswith("application/"):
        normalized = normalized[len("application/") :]
    if normalized != expected:
        raise error(f"typ {typ!r} is not {expected}")


def is_number(value: Any) -> TypeGuard[float]:
    """True for a JSON number that is not a bool."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def audiences(claims: dict[str, Any]) -> list[str]:
    """The ``aud`` claim as a list."""
    aud = claims.get("aud")
    if isinstance(aud, str):
        return [aud]
    if isinstance(aud, list) and all(isinstance(a, str) for a in aud):
        return aud
    return []
