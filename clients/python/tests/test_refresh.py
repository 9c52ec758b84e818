"""TokenManager: one refresh per session however many requests notice the expiry."""

from __future__ import annotations

import threading

import pytest
from sso_flows import client_login as login

from sso_client import MemorySessionStore, RedisSessionStore, TokenManager


@pytest.fixture(params=["memory", "redis"])
def any_store(request):
    if request.param == "memory":
        return MemorySessionStore()
    return RedisSessionStore(request.getfixturevalue("redis_client"), prefix="t:")


def expiring_manager(client, store, op):
    """A session whose access token expires within the refresh skew."""
    manager = TokenManager(client, store, clock=__import__("time").time)
    op.access_ttl = 10
    req, params = login(client)
    tokens = client.handle_callback(params, req)
    manager.save("lid-1", tokens)
    op.access_ttl = 300
    assert tokens.needs_refresh(manager.skew)
    return manager, tokens


def test_ten_threads_cause_exactly_one_refresh(client, op, any_store):
    op.refresh_delay = 0.2  # widen the race window
    manager, stale = expiring_manager(client, any_store, op)
    results, errors = [], []
    barrier = threading.Barrier(10)

    def worker():
        barrier.wait()
        try:
            # each request still holds the stale copy from its own cookie/session
            results.append(manager.get_fresh("lid-1", stale))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors
    assert op.counts["token:refresh_token"] == 1 and op.counts["refresh_reuse"] == 0
    assert len({r.access_token for r in results}) == 1
    assert results[0].refresh_token != stale.refresh_token
    assert manager.load("lid-1").refresh_token == results[0].refresh_token
    # a late request with the stale copy also gets the new tokens, without a refresh
    assert manager.get_fresh("lid-1", stale).access_token == results[0].access_token
    assert op.counts["token:refresh_token"] == 1


def test_fresh_tokens_are_returned_without_a_request(client, op, any_store):
    manager = TokenManager(client, any_store)
    req, params = login(client)
    tokens = client.handle_callback(params, req)
    manager.save("lid-2", tokens)
    assert manager.get_fresh("lid-2").access_token == tokens.access_token
    assert op.counts["token:refresh_token"] == 0


def test_unknown_session_has_no_tokens(client, any_store):
    assert TokenManager(client, any_store).get_fresh("nobody") is None
