"""Access tokens (RFC 9068 JWTs), refresh tokens (opaque, hashed at rest) and their checks."""

from __future__ import annotations

import hashlib
import secrets
import time
from typing import Callable

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jws import extract_compact

from ..sessions.stores import ended_key, revoked_key, withdrawn_key
from .keys import KeyRing
from .subject import subject_for


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class InvalidAccessToken(Exception):
    """Not a valid, unexpired, unrevoked access token of this issuer."""


class TokenFactory:
    """authlib token generator: ``(grant_type, client, user, scope, expires_in, include_refresh_token)``."""

    def __init__(self, issuer: str, keys: KeyRing, alg: str, lifetime: int, subject_key: bytes,
                 cipher, clock: Callable[[], float] = time.time):
        self.issuer, self.keys, self.alg, self.lifetime = issuer, keys, alg, lifetime
        self.subject_key = subject_key
        self.cipher = cipher
        self.clock = clock

    def __call__(self, grant_type, client, user=None, scope=None, expires_in=None, include_refresh_token=True):
        now = int(self.clock())
        expires_in = expires_in or self.lifetime
        claims = {
            "iss": self.issuer,
            "sub": subject_for(user.user_id, client, self.subject_key) if user else client.client_id,
            "aud": client.client_id,
            "client_id": client.client_id,
            "iat": now,
            "exp": now + expires_in,
            "jti": secrets.token_urlsafe(16),
            "scope": scope or "",
        }
        if user is not None:
            if user.sid:
                claims["sid"] = user.sid
            if user.auth_time:
                claims["auth_time"] = user.auth_time
            if user.acr:
                claims["acr"] = user.acr
            # Which user, for our own userinfo: encrypted, so the (pairwise) sub stays the only
            # identifier a portal can read, and it differs in every token.
            claims["uctx"] = self.cipher.encrypt(f"{user.user_id}|{user.identity_id or ''}", context="access-token")
        key = self.keys.signing_key(self.alg)
        header = {"alg": self.alg, "typ": "at+jwt", "kid": key.kid}
        token = {"token_type": "Bearer", "access_token": jwt.encode(header, claims, key, algorithms=[self.alg]),
                 "expires_in": expires_in, "scope": scope or ""}
        if include_refresh_token and user is not None:
            token["refresh_token"] = secrets.token_urlsafe(32)
        return token


class AccessTokenVerifier:
    """Validates our own access tokens for userinfo and introspection.

    Signature, issuer and expiry are checked locally; then one Redis pipeline answers whether the
    token was revoked, its SSO session ended, or the person withdrew consent for its client.
    """

    def __init__(self, issuer: str, keys: KeyRing, r, cipher, clock: Callable[[], float] = time.time,
                 leeway: int = 5):
        self.issuer, self.keys, self.r, self.cipher = issuer, keys, r, cipher
        self.clock, self.leeway = clock, leeway

    def verify(self, token: str) -> dict:
        return self.verify_with_user(token)[0]

    def verify_with_user(self, token: str) -> tuple[dict, tuple[str, int | None] | None]:
        if not isinstance(token, str) or len(token) > 8192 or token.count(".") != 2:
            raise InvalidAccessToken("malformed")
        try:
            header = extract_compact(token.encode()).headers()
        except (JoseError, ValueError) as exc:
            raise InvalidAccessToken("malformed") from exc
        if header.get("typ") != "at+jwt" or header.get("alg") not in ("ES256", "RS256"):
            raise InvalidAccessToken("not an access token")
        try:
            decoded = jwt.decode(token, self.keys.public_keys(), algorithms=["ES256", "RS256"])
        except (JoseError, ValueError) as exc:
            raise InvalidAccessToken("bad signature") from exc
        claims = decoded.claims
        if claims.get("iss") != self.issuer:
            raise InvalidAccessToken("wrong issuer")
        if not isinstance(claims.get("exp"), int) or claims["exp"] + self.leeway < self.clock():
            raise InvalidAccessToken("expired")
        jti = claims.get("jti")
        if not isinstance(jti, str):
            raise InvalidAccessToken("no jti")
        user = user_of(claims, self.cipher) if "uctx" in claims else None
        sid = claims.get("sid")
        pipe = self.r.pipeline(transaction=False)
        pipe.exists(revoked_key(jti))
        pipe.exists(ended_key(sid or "-"))
        pipe.get(withdrawn_key(user[0] if user else "-", claims.get("client_id", "")))
        revoked, ended, withdrawn = pipe.execute()
        if revoked:
            raise InvalidAccessToken("revoked")
        if sid and ended:
            raise InvalidAccessToken("session ended")
        if withdrawn and int(withdrawn) >= int(claims.get("iat", 0)):
            raise InvalidAccessToken("consent withdrawn")
        return claims, user


def user_of(claims: dict, cipher) -> tuple[str, int | None] | None:
    """The (user id, identity id) an access token was issued for, or None."""
    try:
        raw = cipher.decrypt(claims["uctx"], context="access-token").decode()
    except (KeyError, ValueError, TypeError):
        return None
    user_id, _, identity = raw.partition("|")
    return user_id, int(identity) if identity.isdigit() else None
