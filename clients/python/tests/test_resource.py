"""Resource servers: local JWT access-token verification, introspection, require_token."""

from __future__ import annotations

import time

import pytest
from flask import Flask, g

from sso_client import (
    AccessTokenVerifier,
    InsufficientScope,
    IntrospectionVerifier,
    InvalidAccessToken,
)
from sso_client.resource import require_token


@pytest.fixture
def verifier(op):
    return AccessTokenVerifier(op.issuer, audience="https://api.example")


@pytest.fixture
def api(verifier):
    app = Flask("api")

    @app.get("/permits")
    @require_token(scope="permits.read", verifier=verifier)
    def permits():
        return {"sub": g.token_claims["sub"]}

    return app.test_client()


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def test_valid_token_with_scope_is_accepted(api, op):
    resp = api.get("/permits", headers=bearer(op.mint_access_token("portal", "openid permits.read")))
    assert resp.status_code == 200 and resp.json == {"sub": "u-1001"}


def test_missing_scope_is_403_insufficient_scope(api, op):
    resp = api.get("/permits", headers=bearer(op.mint_access_token("portal", "openid profile")))
    assert resp.status_code == 403
    assert 'error="insufficient_scope"' in resp.headers["WWW-Authenticate"]


def test_wrong_typ_is_401(api, op):
    resp = api.get("/permits", headers=bearer(op.mint_access_token("portal", "permits.read", typ="JWT")))
    assert resp.status_code == 401 and 'error="invalid_token"' in resp.headers["WWW-Authenticate"]


def test_id_token_is_not_an_access_token(api, op):
    resp = api.get("/permits", headers=bearer(op.mint_id_token("portal", "n", scope="permits.read")))
    assert resp.status_code == 401


def test_expired_token_is_401(api, op):
    old = int(time.time()) - 3600
    resp = api.get("/permits", headers=bearer(op.mint_access_token("portal", "permits.read", exp=old, iat=old - 300)))
    assert resp.status_code == 401 and 'error="invalid_token"' in resp.headers["WWW-Authenticate"]


def test_wrong_audience_is_401(api, op):
    resp = api.get("/permits", headers=bearer(op.mint_access_token("portal", "permits.read", aud="https://other")))
    assert resp.status_code == 401


def test_no_token_is_401_without_error_code(api, op):
    resp = api.get("/permits")
    assert resp.status_code == 401 and "error=" not in resp.headers["WWW-Authenticate"]
    token = op.mint_access_token("portal", "permits.read")
    assert api.get(f"/permits?access_token={token}").status_code == 401  # header only
    assert api.get("/permits", headers={"Authorization": f"Basic {token}"}).status_code == 401


def test_verification_makes_no_network_call_after_first_jwks_fetch(verifier, op):
    for _ in range(20):
        verifier.verify(op.mint_access_token("portal", "permits.read"), "permits.read")
    assert op.counts["jwks"] == 1 and op.counts["discovery"] == 1


def test_verifier_raises_typed_errors(verifier, op):
    with pytest.raises(InsufficientScope):
        verifier.verify(op.mint_access_token("portal", "a"), "b")
    with pytest.raises(InvalidAccessToken):
        verifier.verify("not-a-jwt")


def test_introspection_verifier_caches_by_token_hash(op):
    v = IntrospectionVerifier(f"{op.issuer}/introspect", "svc", "svc-secret", cache_ttl=30)
    token = op.mint_access_token("portal", "permits.read")
    for _ in range(5):
        assert v.verify(token, "permits.read")["sub"] == "u-1001"
    assert op.counts["introspect"] == 1
    assert token not in repr(v._cache)
    with pytest.raises(InsufficientScope):
        v.verify(token, "permits.write")
    with pytest.raises(InvalidAccessToken):
        v.verify("garbage")


def test_introspection_verifier_with_discovery_in_require_token(op):
    from sso_client import Discovery

    v = IntrospectionVerifier(client_id="svc", client_secret="svc-secret", discovery=Discovery(op.issuer))
    app = Flask("api2")
    app.config["SSO_TOKEN_VERIFIER"] = v

    @app.get("/x")
    @require_token()
    def x():
        return {"client_id": g.token_claims["client_id"]}

    tc = app.test_client()
    assert tc.get("/x", headers=bearer(op.mint_access_token("portal", "s"))).json == {"client_id": "portal"}
    assert tc.get("/x", headers=bearer("nope")).status_code == 401


def test_signature_cache_still_checks_expiry_and_scope(op):
    now = [time.time()]
    v = AccessTokenVerifier(op.issuer, discovery=None, cache_size=10, clock=lambda: now[0])
    token = op.mint_access_token("portal", "permits.read")
    claims = v.verify(token, "permits.read")
    claims["scope"] = "everything"  # callers cannot poison the cache
    with pytest.raises(InsufficientScope):
        v.verify(token, "everything")
    now[0] += 3600
    with pytest.raises(InvalidAccessToken):
        v.verify(token)
    assert op.counts["jwks"] == 1


def test_audience_may_be_a_list_of_allowed_clients(op):
    v = AccessTokenVerifier(op.issuer, audience=["portal", "records"])
    assert v.verify(op.mint_access_token("portal", "s", aud="portal"))["aud"] == "portal"
    with pytest.raises(InvalidAccessToken):
        v.verify(op.mint_access_token("other", "s", aud="other"))
