"""The same contract for MemorySessionStore and RedisSessionStore (against a real redis-server)."""

from __future__ import annotations

import threading

import pytest

from sso_client import MemorySessionStore, RedisSessionStore, SessionStore


@pytest.fixture(params=["memory", "redis"])
def any_store(request) -> SessionStore:
    if request.param == "memory":
        return MemorySessionStore()
    return RedisSessionStore(request.getfixturevalue("redis_client"))


def test_protocol_is_implemented(any_store):
    assert isinstance(any_store, SessionStore)


def test_unknown_session_counts_as_revoked(any_store):
    assert any_store.is_revoked("never-registered")


def test_revoke_by_sid_ends_only_that_gateway_session(any_store):
    any_store.register("a", "alice", "sid-1")
    any_store.register("b", "alice", "sid-2")
    assert any_store.revoke_by_sid("sid-1") == 1
    assert any_store.is_revoked("a") and not any_store.is_revoked("b")


def test_revoke_by_sub_ends_every_session_of_the_user(any_store):
    any_store.register("a", "alice", "sid-1")
    any_store.register("b", "alice", "sid-2")
    any_store.register("c", "bob", "sid-3")
    assert any_store.revoke_by_sub("alice") == 2
    assert any_store.is_revoked("a") and any_store.is_revoked("b") and not any_store.is_revoked("c")


def test_unregister_removes_session_and_tokens(any_store):
    any_store.register("a", "alice", None)
    any_store.put("tok:a", {"access_token": "x"}, 60)
    any_store.unregister("a")
    assert any_store.is_revoked("a") and any_store.get("tok:a") is None


def test_seen_jti_is_atomic(any_store):
    results = []
    barrier = threading.Barrier(8)

    def worker():
        barrier.wait()
        results.append(any_store.seen_jti("jti-1", 600))

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [False] + [True] * 7


def test_take_is_single_use(any_store):
    any_store.put("auth:s", {"n": 1}, 60)
    assert any_store.get("auth:s") == {"n": 1}
    assert any_store.take("auth:s") == {"n": 1}
    assert any_store.take("auth:s") is None


def test_lock_excludes(any_store):
    inside, overlap = [], []

    def worker():
        with any_store.lock("k", 5):
            if inside:
                overlap.append(1)
            inside.append(1)
            threading.Event().wait(0.02)
            inside.pop()

    threads = [threading.Thread(target=worker) for _ in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not overlap


def test_memory_session_expires():
    now = [0.0]
    store = MemorySessionStore(session_ttl=10, clock=lambda: now[0])
    store.register("a", "alice", "s")
    now[0] = 11
    assert store.is_revoked("a")


def test_redis_keys_all_have_ttls(redis_client):
    store = RedisSessionStore(redis_client, prefix="sso:")
    store.register("a", "alice", "sid-1")
    store.seen_jti("j", 600)
    store.put("tok:a", {"x": 1}, 60)
    keys = redis_client.keys("sso:*")
    assert len(keys) == 5
    assert all(redis_client.ttl(k) > 0 for k in keys)


def test_redis_store_works_with_decode_responses(redis_server):
    import redis

    r = redis.Redis.from_url(redis_server["url"], decode_responses=True)
    try:
        store = RedisSessionStore(r, prefix="dr:")
        store.register("a", "alice", "sid-1")
        store.register("b", "alice", "sid-2")
        store.put("tok:b", {"x": 1}, 60)
        store.unregister("a")
        assert store.is_revoked("a") and not store.is_revoked("b")
        assert store.get("tok:b") == {"x": 1}
        assert store.revoke_by_sub("alice") == 1 and store.is_revoked("b")
    finally:
        r.flushdb()
        r.close()
