"""Logout tokens (OIDC Back-Channel Logout 1.0 §2.4): signed JWTs with ``typ: logout+jwt``."""

from __future__ import annotations

import secrets
import time

from joserfc import jwt

from ..oidc.subject import subject_for

EVENT = "http://schemas.openid.net/event/backchannel-logout"
LIFETIME = 120


def logout_token(issuer: str, keys, client, user_id: str, sid: str | None, subject_key: bytes,
                 now: float | None = None) -> tuple[str, str]:
    """Returns (token, jti). Carries sid and sub; never a nonce."""
    now = int(now or time.time())
    jti = secrets.token_urlsafe(18)
    claims = {"iss": issuer, "aud": client.client_id, "iat": now, "exp": now + LIFETIME, "jti": jti,
              "sub": subject_for(user_id, client, subject_key), "events": {EVENT: {}}}
    if sid:
        claims["sid"] = sid
    alg = client.id_token_signed_response_alg
    key = keys.signing_key(alg)
    return jwt.encode({"alg": alg, "kid": key.kid, "typ": "logout+jwt"}, claims, key, algorithms=[alg]), jti
