"""SSO-session bookkeeping on top of the server-side Flask session.

The signed-in principal lives in the Flask session under ``principal``: user id, auth_time, acr,
amr, the upstream connector, the OIDC session id ``sid`` (stable for the whole SSO session,
unlike the cookie id which changes at login) and the relying parties signed in to.

Indexes, all with TTLs: ``gw:sid:{sid}`` -> cookie session id; ``gw:user-sids:{user_id}`` -> set
of sids; ``gw:sess-deadlines`` -> sorted set of sid by the moment the session will time out
(swept by the worker so expiry is pushed to relying parties, not silent).
"""

from __future__ import annotations

import json
import secrets
import time
from typing import Callable

import redis

from .interface import RedisSession, session_key

DEADLINES = "gw:sess-deadlines"


def new_sid() -> str:
    return secrets.token_urlsafe(24)


class SSOSessions:
    def __init__(self, r: redis.Redis, idle_timeout: int, absolute_timeout: int,
                 clock: Callable[[], float] = time.time):
        self.r = r
        self.idle = idle_timeout
        self.absolute = absolute_timeout
        self.clock = clock

    # Called by the session interface after every save of a session that carries a principal.
    def index(self, session: RedisSession) -> None:
        principal = session.get("principal") if session._data is not None else None
        if not principal:
            return
        now = self.clock()
        created = session.get("_created", now)
        deadline = min(now + self.idle, created + self.absolute)
        ttl = max(1, int(created + self.absolute - now))
        sid, uid = principal["sid"], principal["user_id"]
        pipe = self.r.pipeline(transaction=False)
        pipe.set(f"gw:sid:{sid}", session.sid, ex=ttl)
        pipe.sadd(f"gw:user-sids:{uid}", sid)
        pipe.expire(f"gw:user-sids:{uid}", int(self.absolute))
        pipe.zadd(DEADLINES, {sid: deadline})
        pipe.execute()

    def load(self, sid: str) -> dict | None:
        """The whole session data of an SSO session (principal included), or None."""
        cookie_sid = self.r.get(f"gw:sid:{sid}")
        if not cookie_sid:
            return None
        raw = self.r.get(session_key(cookie_sid.decode()))
        return json.loads(raw) if raw else None

    def end(self, sid: str) -> dict | None:
        """End one SSO session; returns its principal (for logout notifications) or None."""
        cookie_sid = self.r.getdel(f"gw:sid:{sid}")
        self.r.zrem(DEADLINES, sid)
        if not cookie_sid:
            return None
        raw = self.r.getdel(session_key(cookie_sid.decode()))
        if not raw:
            return None
        data = json.loads(raw)
        principal = data.get("principal")
        if principal:
            self.r.srem(f"gw:user-sids:{principal['user_id']}", sid)
        return principal

    def sids_for_user(self, user_id: str) -> list[str]:
        return sorted(s.decode() for s in self.r.smembers(f"gw:user-sids:{user_id}"))

    def for_user(self, user_id: str) -> list[dict]:
        """Live sessions of a user (session data with principal); prunes dead index entries."""
        out = []
        for sid in self.sids_for_user(user_id):
            data = self.load(sid)
            if data and data.get("principal"):
                out.append(data)
            else:
                self.r.srem(f"gw:user-sids:{user_id}", sid)
        return out

    def due(self, now: float | None = None, limit: int = 100) -> list[str]:
        """Sessions whose idle or absolute deadline has passed."""
        now = self.clock() if now is None else now
        return [s.decode() for s in self.r.zrangebyscore(DEADLINES, "-inf", now, start=0, num=limit)]

    def forget_deadline(self, sid: str) -> None:
        self.r.zrem(DEADLINES, sid)
