"""SSO-session bookkeeping on top of the server-side Flask session.

The signed-in principal lives in the Flask session under ``principal``: user id, auth_time, acr,
amr, the upstream connector, the OIDC session id ``sid`` (stable for the whole SSO session,
unlike the cookie id which changes at login) and the relying parties signed in to.

Beside it, with TTLs:

* ``gw:sidrec:{sid}`` — a record of the SSO session (principal, cookie id, created, last seen,
  device). It outlives the idle expiry of the cookie session so that, when a session times out,
  the sweeper still knows whom to notify.
* ``gw:user-sids:{user_id}`` — the user's sids ("my sessions", "end all sessions").
* ``gw:sess-deadlines`` — sorted set of sid by the moment the session times out (idle or
  absolute). The worker sweeps it and pushes expiry to relying parties: Redis key expiry alone
  notifies no one.
"""

from __future__ import annotations

import json
import secrets
import time
from typing import Callable

import redis

from .interface import RedisSession, session_key

DEADLINES = "gw:sess-deadlines"
RECORD_GRACE = 3600  # keep the record this long past the absolute deadline


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
        ttl = max(1, int(created + self.absolute - now)) + RECORD_GRACE
        sid, uid = principal["sid"], principal["user_id"]
        record = {"principal": principal, "cookie_sid": session.sid, "created": created, "seen": now,
                  "deadline": deadline, "device": session.get("_device", {})}
        pipe = self.r.pipeline(transaction=False)
        pipe.set(f"gw:sidrec:{{{sid}}}", json.dumps(record, ensure_ascii=False, separators=(",", ":")), ex=ttl)
        pipe.sadd(f"gw:user-sids:{uid}", sid)
        pipe.expire(f"gw:user-sids:{uid}", int(self.absolute) + RECORD_GRACE)
        pipe.zadd(DEADLINES, {sid: deadline})
        pipe.execute()

    def record(self, sid: str) -> dict | None:
        raw = self.r.get(f"gw:sidrec:{{{sid}}}")
        return json.loads(raw) if raw else None

    def alive(self, record: dict) -> bool:
        now = self.clock()
        return record["deadline"] > now and self.r.exists(session_key(record["cookie_sid"])) == 1

    def end(self, sid: str) -> dict | None:
        """End one SSO session (live or timed out); returns its principal once, else None."""
        raw = self.r.getdel(f"gw:sidrec:{{{sid}}}")
        self.r.zrem(DEADLINES, sid)
        if not raw:
            return None
        record = json.loads(raw)
        self.r.delete(session_key(record["cookie_sid"]))
        principal = record["principal"]
        self.r.srem(f"gw:user-sids:{principal['user_id']}", sid)
        return principal

    def sids_for_user(self, user_id: str) -> list[str]:
        return sorted(s.decode() for s in self.r.smembers(f"gw:user-sids:{user_id}"))

    def for_user(self, user_id: str) -> list[dict]:
        """Live session records of a user (newest first); prunes dead index entries."""
        out = []
        for sid in self.sids_for_user(user_id):
            rec = self.record(sid)
            if rec and self.alive(rec):
                out.append(rec)
            elif rec is None:
                self.r.srem(f"gw:user-sids:{user_id}", sid)
        return sorted(out, key=lambda r: -r["created"])

    def due(self, now: float | None = None, limit: int = 100) -> list[str]:
        """Sessions whose idle or absolute deadline has passed."""
        now = self.clock() if now is None else now
        return [s.decode() for s in self.r.zrangebyscore(DEADLINES, "-inf", now, start=0, num=limit)]
