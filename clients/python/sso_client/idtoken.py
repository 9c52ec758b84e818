"""id_token validation (OpenID Connect Core 1.0 §3.1.3.7)."""

from __future__ import annotations

import hmac
import logging
import time
from collections.abc import Callable
from typing import Any

from authlib.oidc.core.util import create_half_hash

from ._jwt import audiences, is_number, verify_signed_jwt
from .acr import acr_satisfies_any
from .config import ClientConfig
from .discovery import Discovery
from .errors import InvalidIdToken

logger = logging.getLogger("sso_client")


class IdTokenValidator:
    """Validates id_tokens for one client. Raises :class:`InvalidIdToken`."""

    def __init__(self, config: ClientConfig, discovery: Discovery, clock: Callable[[], float] = time.time) -> None:
        self.config = config
        self.discovery = discovery
        self.clock = clock

    def validate(
        self,
        id_token: str,
        *,
        nonce: str | None,
        access_token: str | None = None,
        acr_values: str | None = None,
        require_acr: bool = False,
        max_age: int | None = None,
    ) -> dict[str, Any]:
        """Verify signature and claims; return the claims.

        ``nonce`` is required at login and ``None`` for tokens from a refresh (where the
        gateway may omit it). ``require_acr`` makes a login fail unless the token's
        ``acr`` meets one of ``acr_values``.
        """
        header, claims = verify_signed_jwt(id_token, self.discovery, self.config.id_token_algorithms, InvalidIdToken)
        cfg = self.config
        now = self.clock()
        if claims.get("iss") != cfg.issuer:
            raise InvalidIdToken("iss does not match the issuer")
        if not isinstance(claims.get("sub"), str) or not claims["sub"]:
            raise InvalidIdToken("sub missing")
        aud = audiences(claims)
        if cfg.client_id not in aud:
            raise InvalidIdToken("aud does not contain client_id")
        azp = claims.get("azp")
        if (len(aud) > 1 or azp is not None) and azp != cfg.client_id:
            raise InvalidIdToken("azp is not client_id")
        exp, iat = claims.get("exp"), claims.get("iat")
        if not is_number(exp) or not is_number(iat):
            raise InvalidIdToken("exp and iat are required numbers")
        if now > exp + cfg.leeway:
            raise InvalidIdToken("id_token expired")
        if iat > now + cfg.leeway:
            raise InvalidIdToken("id_token issued in the future")
        if nonce is not None:
            got = claims.get("nonce")
            if not isinstance(got, str) or not hmac.compare_digest(got.encode(), nonce.encode()):
                raise InvalidIdToken("nonce mismatch")
        if access_token is not None and "at_hash" in claims:
            expected = create_half_hash(access_token, header["alg"])
            if expected is None or not hmac.compare_digest(str(claims["at_hash"]).encode(), expected):
                raise InvalidIdToken("at_hash mismatch")
        if require_acr and acr_values and not acr_satisfies_any(claims.get("acr"), acr_values, cfg.acr_ranks):
            raise InvalidIdToken(f"acr {claims.get('acr')!r} does not meet {acr_values!r}")
        if max_age is not None:
            auth_time = claims.get("auth_time")
            if not is_number(auth_time):
                raise InvalidIdToken("auth_time required when max_age is used")
            if now > auth_time + max_age + cfg.leeway:
                raise InvalidIdToken("authentication is older than max_age")
        logger.debug("id_token valid for sub=%s", claims["sub"])
        return claims
