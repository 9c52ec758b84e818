"""Where the SDK keeps portal-side session state shared between workers.

A *local session* is the portal's own login session, identified by an opaque
random id the SDK generates at login. The store remembers which gateway session
(``sid``) and user (``sub``) it belongs to, so that a back-channel logout can end
it, and holds small JSON records (the tokens, pending logins) and per-key locks.

A local session is *revoked* when the store does not know it — either because
it was ended or because the store lost it — so losing the store logs people
out and never lets anyone in.

:class:`MemorySessionStore` is for development and single-process servers;
use :class:`RedisSessionStore` whenever the portal runs more than one worker.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any, Protocol, runtime_checkable

logger = logging.getLogger("sso_client")

DEFAULT_SESSION_TTL = 12 * 3600


def tokens_key(local_session_id: str) -> str:
    """The data key under which a local session's tokens are kept."""
    return f"tok:{local_session_id}"


@runtime_checkable
class SessionStore(Protocol):
    """The storage interface used by the Flask extension, WSGI middleware, TokenManager and logout."""

    def register(self, local_session_id: str, sub: str, sid: str | None) -> None:
        """Record a new local session of ``sub`` belonging to gateway session ``sid``."""

    def unregister(self, local_session_id: str) -> None:
        """End one local session (local logout)."""

    def is_revoked(self, local_session_id: str) -> bool:
        """True if the local session was ended (or is unknown)."""

    def revoke_by_sid(self, sid: str) -> int:
        """End every local session of gateway session ``sid``; returns how many."""

    def revoke_by_sub(self, sub: str) -> int:
        """End every local session of user ``sub``; returns how many."""

    def seen_jti(self, jti: str, ttl: int) -> bool:
        """Atomically remember ``jti`` for ``ttl`` seconds; True if it was already seen."""

    def put(self, key: str, value: dict[str, Any], ttl: int) -> None:
        """Store a JSON object under ``key`` for ``ttl`` seconds."""

    def get(self, key: str) -> dict[str, Any] | None:
        """The object under ``key``, or None."""

    def take(self, key: str) -> dict[str, Any] | None:
        """Atomically get and delete (single-use records)."""

    def delete(self, key: str) -> None:
        """Delete ``key``."""

    def lock(self, key: str, timeout: float) -> AbstractContextManager[None]:
        """A lock held by at most one thread/worker at a time for ``key``."""


class MemorySessionStore:
    """Thread-safe in-process store (development, tests, single-process portals).

    :param session_ttl: lifetime of a local session record, in seconds.
    :param clock: monotonic clock seam.
    """

    def __init__(self, session_ttl: int = DEFAULT_SESSION_TTL, clock: Callable[[], float] = time.monotonic) -> None:
        self.session_ttl = session_ttl
        self.clock = clock
        self._mutex = threading.Lock()
        self._sessions: dict[str, tuple[str, str | None, float]] = {}
        self._jti: dict[str, float] = {}
        self._data: dict[str, tuple[str, float]] = {}
        self._locks: dict[str, threading.Lock] = {}

    def register(self, local_session_id: str, sub: str, sid: str | None) -> None:
        with self._mutex:
            self._sessions[local_session_id] = (sub, sid, self.clock() + self.session_ttl)

    def unregister(self, local_session_id: str) -> None:
        with self._mutex:
            self._sessions.pop(local_session_id, None)
            self._data.pop(tokens_key(local_session_id), None)

    def is_revoked(self, local_session_id: str) -> bool:
        with self._mutex:
            entry = self._sessions.get(local_session_id)
            if entry is None:
                return True
            if entry[2] <= self.clock():
                del self._sessions[local_session_id]
                return True
            return False

    def revoke_by_sid(self, sid: str) -> int:
        return self._revoke(lambda sub, s: s == sid)

    def revoke_by_sub(self, sub: str) -> int:
        return self._revoke(lambda s, _sid: s == sub)

    def _revoke(self, match: Callable[[str, str | None], bool]) -> int:
        with self._mutex:
            ended = [lid for lid, (sub, sid, _) in self._sessions.items() if match(sub, sid)]
            for lid in ended:
                del self._sessions[lid]
                self._data.pop(tokens_key(lid), None)
            return len(ended)

    def seen_jti(self, jti: str, ttl: int) -> bool:
        with self._mutex:
            now = self.clock()
            if len(self._jti) > 10_000:
                self._jti = {k: exp for k, exp in self._jti.items() if exp > now}
            exp = self._jti.get(jti)
            if exp is not None and exp > now:
                return True
            self._jti[jti] = now + ttl
            return False

    def put(self, key: str, value: dict[str, Any], ttl: int) -> None:
        with self._mutex:
            self._data[key] = (json.dumps(value), self.clock() + ttl)

    def get(self, key: str) -> dict[str, Any] | None:
        with self._mutex:
            return self._get(key, remove=False)

    def take(self, key: str) -> dict[str, Any] | None:
        with self._mutex:
            return self._get(key, remove=True)

    def _get(self, key: str, remove: bool) -> dict[str, Any] | None:
        item = self._data.get(key)
        if item is None:
            return None
        expired = item[1] <= self.clock()
        if expired or remove:
            del self._data[key]
        return None if expired else json.loads(item[0])

    def delete(self, key: str) -> None:
        with self._mutex:
            self._data.pop(key, None)

    @contextmanager
    def lock(self, key: str, timeout: float) -> Iterator[None]:
        with self._mutex:
            lk = self._locks.setdefault(key, threading.Lock())
        if not lk.acquire(timeout=timeout):
            raise TimeoutError(f"lock {key!r} not acquired within {timeout}s")
        try:
            yield
        finally:
            lk.release()


class RedisSessionStore:
    """Redis-backed store shared by every worker of a portal.

    Keys (all with a TTL): ``{prefix}sess:{local_id}`` (hash sub/sid),
    ``{prefix}sid:{sid}`` and ``{prefix}sub:{sub}`` (sets of local ids),
    ``{prefix}jti:{jti}`` (``SET NX EX``), ``{prefix}data:{key}`` (JSON) and
    ``{prefix}lock:{key}`` (redis-py ``Lock``: ``SET NX PX`` + token-checked release).

    :param redis_client: a ``redis.Redis`` (or Sentinel master) client.
    :param prefix: key prefix, to share a Redis database with other applications.
    :param session_ttl: lifetime of a local session record, in seconds.
    """

    def __init__(self, redis_client: Any, prefix: str = "sso:", session_ttl: int = DEFAULT_SESSION_TTL) -> None:
        self.redis = redis_client
        self.prefix = prefix
        self.session_ttl = session_ttl

    def _k(self, kind: str, ident: str) -> str:
        return f"{self.prefix}{kind}:{ident}"

    def register(self, local_session_id: str, sub: str, sid: str | None) -> None:
        ttl = self.session_ttl
        pipe = self.redis.pipeline(transaction=True)
        key = self._k("sess", local_session_id)
        pipe.hset(key, mapping={"sub": sub, "sid": sid or ""})
        pipe.expire(key, ttl)
        for kind, value in (("sub", sub), ("sid", sid)):
            if value:
                index = self._k(kind, value)
                pipe.sadd(index, local_session_id)
                pipe.expire(index, ttl)
        pipe.execute()

    def unregister(self, local_session_id: str) -> None:
        key = self._k("sess", local_session_id)
        entry = {_text(k): _text(v) for k, v in (self.redis.hgetall(key) or {}).items()}
        pipe = self.redis.pipeline(transaction=True)
        pipe.delete(key, self._k("data", tokens_key(local_session_id)))
        for kind in ("sub", "sid"):
            if entry.get(kind):
                pipe.srem(self._k(kind, entry[kind]), local_session_id)
        pipe.execute()

    def is_revoked(self, local_session_id: str) -> bool:
        return not self.redis.exists(self._k("sess", local_session_id))

    def revoke_by_sid(self, sid: str) -> int:
        return self._revoke(self._k("sid", sid))

    def revoke_by_sub(self, sub: str) -> int:
        return self._revoke(self._k("sub", sub))

    def _revoke(self, index: str) -> int:
        members = [_text(m) for m in self.redis.smembers(index)]
        if not members:
            return 0
        keys = [self._k("sess", lid) for lid in members] + [self._k("data", tokens_key(lid)) for lid in members]
        pipe = self.redis.pipeline(transaction=True)
        pipe.delete(*keys)
        pipe.delete(index)
        ended = pipe.execute()[0]
        # delete() counted session and token keys; report sessions only
        return min(int(ended), len(members))

    def seen_jti(self, jti: str, ttl: int) -> bool:
        return not self.redis.set(self._k("jti", jti), "1", nx=True, ex=max(1, int(ttl)))

    def put(self, key: str, value: dict[str, Any], ttl: int) -> None:
        self.redis.set(self._k("data", key), json.dumps(value), ex=max(1, int(ttl)))

    def get(self, key: str) -> dict[str, Any] | None:
        raw = self.redis.get(self._k("data", key))
        return json.loads(raw) if raw else None

    def take(self, key: str) -> dict[str, Any] | None:
        raw = self.redis.getdel(self._k("data", key))
        return json.loads(raw) if raw else None

    def delete(self, key: str) -> None:
        self.redis.delete(self._k("data", key))

    @contextmanager
    def lock(self, key: str, timeout: float) -> Iterator[None]:
        # redis-py's Lock is SET NX PX with a random token and a Lua compare-and-delete
        # release; the lock expires after `timeout` so a crashed worker cannot wedge it.
        lk = self.redis.lock(self._k("lock", key), timeout=timeout, blocking_timeout=timeout)
        if not lk.acquire():
            raise TimeoutError(f"lock {key!r} not acquired within {timeout}s")
        try:
            yield
        finally:
            try:
                lk.release()
            except Exception:  # the lock expired meanwhile; nothing left to release
                logger.debug("redis lock %r had expired before release", key)


def _text(value: bytes | str) -> str:
    """Redis replies are bytes, or str with ``decode_responses=True``."""
    return value.decode() if isinstance(value, bytes) else value
