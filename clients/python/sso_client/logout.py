"""Back-channel logout token validation (OpenID Connect Back-Channel Logout 1.0 §2.6)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Collection

from ._jwt import audiences, check_typ, is_number, verify_signed_jwt
from .discovery import Discovery
from .errors import InvalidLogoutToken
from .session_store import SessionStore

logger = logging.getLogger("sso_client")

BACKCHANNEL_LOGOUT_EVENT = "http://schemas.openid.net/event/backchannel-logout"


class LogoutTokenValidator:
    """Validates logout tokens the gateway POSTs to the portal's back-channel logout URI.

    :param issuer: the gateway's issuer.
    :param client_id: this portal's client id (must be in ``aud``).
    :param discovery: provides the JWKS.
    :param store: remembers ``jti`` values to refuse replays.
    :param iat_window: a token issued longer ago than this (seconds) is refused.
    :param jti_ttl: how long a ``jti`` is remembered (seconds); must exceed ``iat_window``.
    :param leeway: tolerated clock skew for ``iat``/``exp``.
    """

    def __init__(
        self,
        issuer: str,
        client_id: str,
        discovery: Discovery,
        store: SessionStore,
        *,
        iat_window: int = 120,
        jti_ttl: int = 600,
        leeway: int = 60,
        algorithms: Collection[str] = ("RS256", "ES256"),
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.issuer = issuer
        self.client_id = client_id
        self.discovery = discovery
        self.store = store
        self.iat_window = iat_window
        self.jti_ttl = jti_ttl
        self.leeway = leeway
        self.algorithms = tuple(algorithms)
        self.clock = clock

    def validate(self, logout_token: str) -> tuple[str | None, str | None]:
        """Validate the token and record its ``jti``; return ``(sub, sid)``.

        Raises :class:`InvalidLogoutToken` for anything unacceptable, including a replay.
        """
        header, claims = verify_signed_jwt(logout_token, self.discovery, self.algorithms, InvalidLogoutToken)
        # The spec says SHOULD for typ; absent is accepted, anything else (an id_token
        # or access token replayed here) is not.
        check_typ(header, "logout+jwt", InvalidLogoutToken, required=False)
        if claims.get("iss") != self.issuer:
            raise InvalidLogoutToken("iss does not match the issuer")
        if self.client_id not in audiences(claims):
            raise InvalidLogoutToken("aud does not contain client_id")
        now = self.clock()
        iat = claims.get("iat")
        if not is_number(iat):
            raise InvalidLogoutToken("iat is required")
        if iat > now + self.leeway or iat < now - self.iat_window - self.leeway:
            raise InvalidLogoutToken("iat outside the accepted window")
        if "exp" in claims:
            if not is_number(claims["exp"]) or now > claims["exp"] + self.leeway:
                raise InvalidLogoutToken("logout token expired")
        events = claims.get("events")
        if not isinstance(events, dict) or not isinstance(events.get(BACKCHANNEL_LOGOUT_EVENT), dict):
            raise InvalidLogoutToken("events lacks the back-channel logout event")
        if "nonce" in claims:
            raise InvalidLogoutToken("logout token must not contain nonce")
        sub, sid = claims.get("sub"), claims.get("sid")
        if sub is not None and not isinstance(sub, str) or sid is not None and not isinstance(sid, str):
            raise InvalidLogoutToken("sub and sid must be strings")
        if not sub and not sid:
            raise InvalidLogoutToken("sub or sid is required")
        jti = claims.get("jti")
        if not isinstance(jti, str) or not jti:
            raise InvalidLogoutToken("jti is required")
        if self.store.seen_jti(f"{self.issuer}|{jti}", self.jti_ttl):
            raise InvalidLogoutToken("logout token replayed")
        logger.info("valid back-channel logout for sid=%s sub=%s", sid, sub)
        return sub, sid

    def apply(self, logout_token: str) -> int:
        """Validate and end the matching local sessions; returns how many were ended.

        With ``sid`` only that gateway session's local sessions end; with only
        ``sub`` every local session of the user ends.
        """
        sub, sid = self.validate(logout_token)
        if sid:
            return self.store.revoke_by_sid(sid)
        return self.store.revoke_by_sub(sub or "")
