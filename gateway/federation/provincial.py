"""The gateway's connector to the provincial identity system (省统一身份认证).

Browser leg: ``begin`` parks the login in Redis under a random ``state`` and sends the browser to
the province's login page with our appMark and a backUrl carrying that state; the province comes
back with ``?ticket=``. Back channel: ``complete`` swaps the ticket for a token and user info
(signed with HMAC-SM3, pooled HTTP connections, connect/read timeouts) and maps it to an
``Identity``. Everything the province is asked to send back to is under
``{issuer}/federation/provincial/`` — the prefix registered with the province.
"""

from __future__ import annotations

import json
import secrets
from urllib.parse import urlencode

from .base import ConnectorError, Identity
from .provincial_client import ProvincialClient
from .provincial_mapping import map_user_info

STATE_TTL = 600
PREFIX = "/federation/provincial"


class ProvincialConnector:
    name = "provincial"

    def __init__(self, settings, services):
        p = settings.provincial
        self.issuer = settings.issuer
        self.r = services.redis
        self.clock = services.clock
        self.absolute = settings.session.absolute_timeout
        self._once = services.once_jti
        self.client = ProvincialClient(p.base_url, p.app_mark, p.app_word, p.connect_timeout, p.read_timeout,
                                       p.require_app_sign, services.clock, login_path=p.login_path,
                                       seen_nonce=self._seen_nonce)

    def _seen_nonce(self, nonce: str) -> bool:
        return not self._once.first(f"provincial-notice:{nonce}", 600)

    def callback_url(self, state: str) -> str:
        return f"{self.issuer}{PREFIX}/callback?{urlencode({'st': state})}"

    # Login --------------------------------------------------------------------------------------
    def begin(self, user_type: int, tx_id: str, required_level: int = 0, force_login: bool = False,
              switch_corp: bool = False) -> str:
        state = secrets.token_urlsafe(24)
        self.r.set(f"gw:prov-state:{state}", json.dumps({"tx": tx_id, "user_type": user_type,
                                                         "level": required_level, "started": self.clock()}),
                   ex=STATE_TTL)
        back = self.callback_url(state)
        if switch_corp:
            return self.client.switch_corp_url(back)
        return self.client.login_url(user_type, back, auth_level=required_level or None, force_login=force_login)

    def peek(self, state: str) -> dict:
        """The parked login of a state without consuming it (to send the user back on failure)."""
        raw = self.r.get(f"gw:prov-state:{state}") if state and len(state) <= 64 else None
        return json.loads(raw) if raw else {}

    def complete(self, state: str, ticket: str) -> tuple[Identity, dict]:
        """Returns the identity and the parked login state; raises ConnectorError."""
        if not state or len(state) > 64:
            raise ConnectorError("provincial.state_invalid", "missing state")
        raw = self.r.getdel(f"gw:prov-state:{state}")
        if not raw:
            raise ConnectorError("provincial.state_invalid", "unknown or reused state")
        parked = json.loads(raw)
        if not ticket or len(ticket) > 200:
            raise ConnectorError("provincial.ticket_invalid", "no ticket")
        data = self.client.exchange_ticket(ticket, self.callback_url(state))
        identity = map_user_info(data, int(self.clock()))
        if int(data.get("authLevel") or 0) < int(parked.get("level") or 0):
            raise ConnectorError("provincial.level_too_low",
                                 f"level {data.get('authLevel')} < required {parked.get('level')}")
        return identity, parked

    # Logout -------------------------------------------------------------------------------------
    def remember_session(self, session_index: str | None, sid: str) -> None:
        """Index our SSO session under the province's sessionIndex, for its logout notices."""
        if session_index:
            key = f"gw:prov-sess:{session_index}"
            self.r.sadd(key, sid)
            self.r.expire(key, self.absolute + 3600)

    def logout_url(self, principal: dict, after: str) -> str | None:
        """Send the browser through the province's logout so its session ends too, then ``after``."""
        ticket = secrets.token_urlsafe(18)
        self.r.set(f"gw:prov-out:{ticket}", after, ex=STATE_TTL)
        return self.client.logout_url(f"{self.issuer}{PREFIX}/logged-out?{urlencode({'o': ticket})}")

    def after_logout(self, ticket: str) -> str | None:
        raw = self.r.getdel(f"gw:prov-out:{ticket}") if ticket and len(ticket) < 64 else None
        return raw.decode() if raw else None

    def sessions_for_notice(self, form) -> tuple[dict, list[str]]:
        """Verify a logout notice from the province; returns it and our SSO sids to end."""
        notice = self.client.verify_logout_notice(form)
        key = f"gw:prov-sess:{notice['session_index']}"
        sids = sorted(s.decode() for s in self.r.smembers(key))
        self.r.delete(key)
        return notice, sids


