"""Account lockout after repeated failures, counted in Redis.

N failures within the window lock the account for the lockout duration. The login page answers a
locked account exactly as it answers a wrong password, so lockout is not an oracle for which
usernames exist (the trade-off: a locked-out legitimate user is told only "wrong username or
password"; the audit log and the admin console show the lock).
"""

from __future__ import annotations

import hashlib

import redis

from ..settings import SecuritySettings


def _k(kind: str, account: str) -> str:
    return f"gw:{kind}:" + hashlib.sha256(account.lower().encode()).hexdigest()[:32]


class Lockout:
    def __init__(self, r: redis.Redis, s: SecuritySettings):
        self.r, self.s = r, s

    def is_locked(self, account: str) -> bool:
        return bool(self.r.exists(_k("lock", account)))

    def failure(self, account: str) -> bool:
        """Count a failure; True when this failure locked the account."""
        key = _k("fail", account)
        pipe = self.r.pipeline()
        pipe.incr(key)
        pipe.expire(key, self.s.lockout_window, nx=True)
        count, _ = pipe.execute()
        if count >= self.s.lockout_threshold:
            self.r.set(_k("lock", account), b"1", ex=self.s.lockout_duration)
            self.r.delete(key)
            return True
        return False

    def success(self, account: str) -> None:
        self.r.delete(_k("fail", account))

    def unlock(self, account: str) -> None:
        self.r.delete(_k("lock", account), _k("fail", account))
