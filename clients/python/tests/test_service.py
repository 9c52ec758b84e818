"""ClientCredentials: cached, renewed before expiry, one fetch under concurrency."""

from __future__ import annotations

import threading

import pytest

from sso_client import ClientCredentials, ConfigurationError, TokenRequestError


def test_token_is_cached_until_shortly_before_expiry(op):
    now = [1000.0]
    cc = ClientCredentials(issuer=op.issuer, client_id="svc", client_secret="svc-secret", scope="permits.read",
                           clock=lambda: now[0])
    first = cc.get_token()
    assert cc.get_token() == first and op.counts["token:client_credentials"] == 1
    assert op.last_token_request["scope"] == "permits.read"
    now[0] += 300 - 31
    cc.get_token()
    assert op.counts["token:client_credentials"] == 1
    now[0] += 2  # within the 30 s skew
    cc.get_token()
    assert op.counts["token:client_credentials"] == 2


def test_concurrent_callers_share_one_fetch(op):
    cc = ClientCredentials(f"{op.issuer}/token", "svc", "svc-secret")
    tokens = []
    threads = [threading.Thread(target=lambda: tokens.append(cc.get_token())) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(tokens)) == 1 and op.counts["token:client_credentials"] == 1


def test_invalidate_forces_a_new_token(op):
    cc = ClientCredentials(f"{op.issuer}/token", "svc", "svc-secret")
    cc.get_token()
    cc.invalidate()
    cc.get_token()
    assert op.counts["token:client_credentials"] == 2


def test_wrong_secret_raises(op):
    with pytest.raises(TokenRequestError) as exc:
        ClientCredentials(f"{op.issuer}/token", "svc", "wrong").get_token()
    assert exc.value.error == "invalid_client" and exc.value.status == 401


def test_configuration_is_checked():
    with pytest.raises(ConfigurationError):
        ClientCredentials(client_id="a", client_secret="b")
