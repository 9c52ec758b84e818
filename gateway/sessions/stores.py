"""Short-lived state in Redis. Every key has a TTL; single-use values are taken atomically.

Key layout (``gw:<kind>:<id>``): SSO sessions ``gw:sess:{sid}``, authorization codes
``gw:code:<hash>``, used-code markers ``gw:code-used:<hash>``, login transactions ``gw:tx:<id>``,
revoked access-token ids ``gw:revoked:<jti>``. Codes are stored under a hash so a Redis dump
does not hold redeemable codes.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import redis


def _h(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


class CodeStore:
    """Authorization codes: stored with a short TTL, redeemed at most once (GETDEL)."""

    def __init__(self, r: redis.Redis, ttl: int):
        self.r, self.ttl = r, ttl

    def save(self, code: str, data: dict) -> None:
        self.r.set(f"gw:code:{_h(code)}", json.dumps(data), ex=self.ttl)

    def take(self, code: str) -> dict | None:
        """Atomically fetch and delete; a concurrent second redemption gets None."""
        raw = self.r.getdel(f"gw:code:{_h(code)}")
        return json.loads(raw) if raw else None

    def mark_used(self, code: str, issued: dict, ttl: int) -> None:
        """Remember what a redeemed code issued, so a replay can revoke it (RFC 6749 §4.1.2)."""
        self.r.set(f"gw:code-used:{_h(code)}", json.dumps(issued), ex=ttl)

    def used(self, code: str) -> dict | None:
        raw = self.r.get(f"gw:code-used:{_h(code)}")
        return json.loads(raw) if raw else None


class TransactionStore:
    """Pending logins: the /authorize request waiting for the user to authenticate."""

    def __init__(self, r: redis.Redis, ttl: int):
        self.r, self.ttl = r, ttl

    def put(self, tx_id: str, data: dict[str, Any]) -> None:
        self.r.set(f"gw:tx:{tx_id}", json.dumps(data), ex=self.ttl)

    def get(self, tx_id: str) -> dict | None:
        if not tx_id or len(tx_id) > 100:
            return None
        raw = self.r.get(f"gw:tx:{tx_id}")
        return json.loads(raw) if raw else None

    def take(self, tx_id: str) -> dict | None:
        if not tx_id or len(tx_id) > 100:
            return None
        raw = self.r.getdel(f"gw:tx:{tx_id}")
        return json.loads(raw) if raw else None


def revoked_key(jti: str) -> str:
    return f"gw:revoked:{jti}"


def ended_key(sid: str) -> str:
    return f"gw:ended-sid:{sid}"


def withdrawn_key(user_id: str, client_id: str) -> str:
    return f"gw:withdrawn:{user_id}:{client_id}"


class RevocationStore:
    """Revoked access-token ids, kept until the token would have expired anyway."""

    def __init__(self, r: redis.Redis):
        self.r = r

    def revoke(self, jti: str, ttl: int) -> None:
        if ttl > 0:
            self.r.set(revoked_key(jti), b"1", ex=ttl)

    def is_revoked(self, jti: str) -> bool:
        return bool(self.r.exists(revoked_key(jti)))


class OnceStore:
    """Remember a value for ``ttl`` seconds; ``first`` is True only the first time (SET NX)."""

    def __init__(self, r: redis.Redis, prefix: str):
        self.r, self.prefix = r, prefix

    def first(self, value: str, ttl: int) -> bool:
        return bool(self.r.set(f"gw:{self.prefix}:{_h(value)}", b"1", nx=True, ex=ttl))
