"""The authorization code flow end to end, validated by a real RP library (authlib + joserfc)."""

from __future__ import annotations

import re
import time
from urllib.parse import urljoin

import requests
from authlib.integrations.requests_client import OAuth2Session
from authlib.oidc.core import CodeIDToken
from joserfc import jwt
from joserfc.jwk import KeySet

from tests.helpers import basic, csrf_of, get_code, pkce_pair, query, redeem


def _browser_login(session: requests.Session, start_url: str, user: dict, redirect_prefix: str) -> str:
    """Follow redirects like a browser, logging in on the way; returns the RP callback URL."""
    url = start_url
    for _ in range(8):
        r = session.get(url, allow_redirects=False)
        if r.status_code in (302, 303):
            url = urljoin(url, r.headers["Location"])
            if url.startswith(redirect_prefix):
                return url
            continue
        assert r.status_code == 200, (r.status_code, r.text[:300])
        if 'action="/login/local"' in r.text:
            tx = re.search(r'name="tx" value="([^"]*)"', r.text).group(1)
            r = session.post(urljoin(url, "/login/local"), allow_redirects=False,
                             data={"csrf_token": csrf_of(r.text), "tx": tx, "username": user["username"],
                                   "password": user["password"]})
            url = urljoin(url, r.headers["Location"])
        else:
            raise AssertionError(r.text[:300])
    raise AssertionError("no callback")


def test_certified_rp_library_completes_login_refresh_userinfo_introspection_revocation_logout(
        live_gateway, svc, user):
    issuer = live_gateway
    record, secret = svc.clients.create(
        name="社会保险网上经办", department="市人力资源和社会保障局",
        redirect_uris=["http://127.0.0.1:5999/cb"], post_logout_redirect_uris=["http://127.0.0.1:5999/bye"],
        scope="openid profile email", first_party=True)
    meta = requests.get(f"{issuer}/.well-known/openid-configuration", timeout=5).json()
    assert meta["issuer"] == issuer
    rp = OAuth2Session(record.client_id, secret, scope="openid profile email",
                       redirect_uri="http://127.0.0.1:5999/cb", code_challenge_method="S256")
    verifier, _ = pkce_pair()
    url, state = rp.create_authorization_url(meta["authorization_endpoint"], nonce="n-123", code_verifier=verifier)
    browser = requests.Session()
    callback = _browser_login(browser, url, user, "http://127.0.0.1:5999/cb")
    assert query(callback)["iss"] == issuer  # RFC 9207
    token = rp.fetch_token(meta["token_endpoint"], authorization_response=callback, code_verifier=verifier)

    jwks = KeySet.import_key_set(requests.get(meta["jwks_uri"], timeout=5).json())
    decoded = jwt.decode(token["id_token"], jwks, algorithms=["RS256"])
    claims = CodeIDToken(decoded.claims, decoded.header, {"nonce": {"value": "n-123"}},
                         params={"nonce": "n-123", "access_token": token["access_token"]})
    claims.params["client_id"] = record.client_id
    claims.options = {"iss": {"value": issuer}, "aud": {"value": record.client_id}, "nonce": {"value": "n-123"}}
    claims.validate(leeway=5)
    assert decoded.header["kid"] and decoded.claims["sid"]
    assert decoded.claims["name"] == "测试用户"

    info = rp.get(meta["userinfo_endpoint"]).json()
    assert info["sub"] == decoded.claims["sub"] and info["email"].endswith("@weifang.example")

    refreshed = rp.refresh_token(meta["token_endpoint"], refresh_token=token["refresh_token"])
    assert refreshed["refresh_token"] != token["refresh_token"]

    intro = requests.post(meta["introspection_endpoint"], data={"token": refreshed["access_token"]},
                          auth=(record.client_id, secret), timeout=5).json()
    assert intro["active"] is True and intro["client_id"] == record.client_id

    assert requests.post(meta["revocation_endpoint"], data={"token": refreshed["access_token"]},
                         auth=(record.client_id, secret), timeout=5).status_code == 200
    intro = requests.post(meta["introspection_endpoint"], data={"token": refreshed["access_token"]},
                          auth=(record.client_id, secret), timeout=5).json()
    assert intro == {"active": False}

    end = browser.get(meta["end_session_endpoint"], allow_redirects=False,
                      params={"id_token_hint": token["id_token"], "state": "s1",
                              "post_logout_redirect_uri": "http://127.0.0.1:5999/bye"})
    assert end.status_code == 302 and end.headers["Location"] == "http://127.0.0.1:5999/bye?state=s1"
    # The session is gone: the refresh token of the ended session no longer works.
    r = requests.post(meta["token_endpoint"], data={"grant_type": "refresh_token",
                                                    "refresh_token": refreshed["refresh_token"]},
                      auth=(record.client_id, secret), timeout=5)
    assert r.status_code == 400 and r.json()["error"] == "invalid_grant"


def test_public_client_needs_pkce_and_gets_tokens(client, svc, user):
    record, secret = svc.clients.create(name="移动端", redirect_uris=["http://127.0.0.1:7000/cb"], public=True,
                                        scope="openid profile", first_party=True)
    assert secret is None
    rp = {"client_id": record.client_id, "client_secret": None, "redirect_uri": "http://127.0.0.1:7000/cb"}
    r = client.get(f"/authorize?response_type=code&client_id={record.client_id}"
                   f"&redirect_uri=http://127.0.0.1:7000/cb&scope=openid&state=x")
    assert r.status_code == 302 and query(r.headers["Location"])["error"] == "invalid_request"
    code, params = get_code(client, rp, user, scope="openid")
    r = redeem(client, rp, code, params)
    assert r.status_code == 200, r.json
    assert "refresh_token" in r.json


def test_refresh_rotation_and_reuse_revokes_family(client, rp, user):
    code, params = get_code(client, rp, user)
    first = redeem(client, rp, code, params).json
    second = client.post("/token", data={"grant_type": "refresh_token", "refresh_token": first["refresh_token"]},
                         headers=basic(rp)).json
    assert second["refresh_token"] != first["refresh_token"]
    replay = client.post("/token", data={"grant_type": "refresh_token", "refresh_token": first["refresh_token"]},
                         headers=basic(rp))
    assert replay.status_code == 400 and replay.json["error"] == "invalid_grant"
    # Reuse revoked the whole family, including the token issued by the legitimate rotation.
    r = client.post("/token", data={"grant_type": "refresh_token", "refresh_token": second["refresh_token"]},
                    headers=basic(rp))
    assert r.status_code == 400 and r.json["error"] == "invalid_grant"


def test_client_credentials_and_introspection_by_resource_server(client, svc, rp):
    r = client.post("/token", data={"grant_type": "client_credentials", "scope": "profile"}, headers=basic(rp))
    assert r.status_code == 200, r.json
    assert "refresh_token" not in r.json and r.headers["Cache-Control"] == "no-store"
    api, api_secret = svc.clients.create(name="业务接口", grant_types=["client_credentials"],
                                         scope="gateway:introspect")
    intro = client.post("/introspect", data={"token": r.json["access_token"]},
                        headers=basic({"client_id": api.client_id, "client_secret": api_secret}))
    assert intro.json["active"] is True and intro.json["sub"] == rp["client_id"]
    other, other_secret = svc.clients.create(name="无关系统", grant_types=["client_credentials"], scope="profile")
    intro = client.post("/introspect", data={"token": r.json["access_token"]},
                        headers=basic({"client_id": other.client_id, "client_secret": other_secret}))
    assert intro.json == {"active": False}
    # client_credentials tokens carry no user: userinfo refuses them
    info = client.get("/userinfo", headers={"Authorization": f"Bearer {r.json['access_token']}"})
    assert info.status_code in (401, 403)


def test_key_rotation_keeps_old_tokens_valid_and_signs_with_new_key(client, svc, rp, user):
    code, params = get_code(client, rp, user)
    before = redeem(client, rp, code, params).json
    old_kids = {k["kid"] for k in client.get("/jwks").json["keys"]}
    t = svc.settings.tokens
    new = svc.keys.rotate(max(t.access_token_lifetime, t.id_token_lifetime) + t.key_retire_grace)
    jwks = client.get("/jwks").json
    kids = {k["kid"] for k in jwks["keys"]}
    assert set(new) <= kids and old_kids <= kids  # old keys stay published while their tokens live
    info = client.get("/userinfo", headers={"Authorization": f"Bearer {before['access_token']}"})
    assert info.status_code == 200
    code, params = get_code(client, rp, user)
    after = redeem(client, rp, code, params).json
    header = jwt.decode(after["id_token"], KeySet.import_key_set(jwks)).header
    assert header["kid"] in new
    listing = {k["kid"]: k["state"] for k in svc.keys.listing()}
    assert all(listing[k] == "retiring" for k in old_kids)


def test_expired_retiring_keys_leave_jwks(svc, app):
    from gateway.oidc.keys import KeyRing

    ring = KeyRing(svc.db, svc.cipher, clock=lambda: time.time() + 10 * 86400)
    published = {k["kid"] for k in ring.jwks()["keys"]}
    states = {k["kid"]: k["state"] for k in svc.keys.listing()}
    assert published == {kid for kid, state in states.items() if state == "active"}


def test_rotated_key_is_published_before_it_signs(client, svc, rp, user):
    """RPs that cached JWKS a moment ago must already know a key when its first token arrives."""
    from gateway.oidc.keys import KeyRing

    t = svc.settings.tokens
    new = svc.keys.rotate(t.access_token_lifetime + t.key_retire_grace, publish_delay=120)
    published = {k["kid"] for k in client.get("/jwks").json["keys"]}
    assert set(new) <= published
    code, params = get_code(client, rp, user)
    id_token = redeem(client, rp, code, params).json["id_token"]
    assert jwt.decode(id_token, KeySet.import_key_set(client.get("/jwks").json)).header["kid"] not in new
    states = {k["kid"]: k["state"] for k in svc.keys.listing()}
    assert all(states[k] == "published" for k in new)
    later = KeyRing(svc.db, svc.cipher, clock=lambda: time.time() + 121)
    assert later.signing_key("RS256").kid in new and later.signing_key("ES256").kid in new


def test_refreshed_tokens_keep_the_identity_claims(client, rp, user):
    code, params = get_code(client, rp, user, scope="openid profile email")
    first = redeem(client, rp, code, params).json
    refreshed = client.post("/token", data={"grant_type": "refresh_token", "refresh_token": first["refresh_token"]},
                            headers=basic(rp)).json
    a = client.get("/userinfo", headers={"Authorization": f"Bearer {first['access_token']}"}).json
    b = client.get("/userinfo", headers={"Authorization": f"Bearer {refreshed['access_token']}"}).json
    assert a == b and b["email"]


def test_registration_refuses_scopes_the_gateway_does_not_offer(svc):
    import pytest

    from gateway.registry.validation import RegistrationError

    with pytest.raises(RegistrationError, match="permits.read"):
        svc.clients.create(name="x", redirect_uris=["https://x.weifang.example/cb"], scope="openid permits.read")
