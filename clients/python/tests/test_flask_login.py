"""Login, logout and step-up through the Flask extension, against the test OP."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from sso_flows import flask_login, through_op


def test_full_login_with_pkce_lands_on_the_requested_page(portal, op):
    app, _ = portal
    tc = app.test_client()
    resp = flask_login(tc, "/private?x=1")
    assert resp.status_code == 302 and resp.location == "/private?x=1"
    assert tc.get("/private?x=1").json == {"sub": "u-1001", "acr": "urn:sd:tysfrz:loa:1"}
    sent = op.last_token_request
    assert sent["method"] == "client_secret_basic" and len(sent["code_verifier"]) >= 43


def test_authorization_request_carries_pkce_state_nonce(portal):
    app, _ = portal
    resp = app.test_client().get("/sso/login")
    q = parse_qs(urlsplit(resp.location).query)
    assert q["code_challenge_method"] == ["S256"] and q["code_challenge"][0]
    assert q["response_type"] == ["code"] and q["scope"] == ["openid profile"]
    assert len(q["state"][0]) >= 32 and len(q["nonce"][0]) >= 32
    assert "code_verifier" not in resp.location


def test_callback_with_foreign_state_is_refused(portal):
    app, _ = portal
    tc = app.test_client()
    tc.get("/sso/login")
    callback = through_op(app.test_client().get("/sso/login").location)  # another browser's login
    resp = tc.get(callback)
    assert resp.status_code == 400
    assert tc.get("/").json == {"user": None}


def test_callback_error_parameter_is_shown_as_failed_login(portal):
    app, _ = portal
    tc = app.test_client()
    state = parse_qs(urlsplit(tc.get("/sso/login").location).query)["state"][0]
    resp = tc.get(f"/sso/callback?error=access_denied&state={state}")
    assert resp.status_code == 403 and "access_denied" in resp.get_data(as_text=True)


def test_callback_with_wrong_iss_parameter_is_refused(portal):
    app, _ = portal
    tc = app.test_client()
    callback = through_op(tc.get("/sso/login").location)
    resp = tc.get(callback.replace("iss=http", "iss=https"))
    assert resp.status_code == 400
    assert tc.get("/").json == {"user": None}


def test_next_parameter_cannot_redirect_off_site(portal):
    app, _ = portal
    for evil in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
        tc = app.test_client()
        resp = tc.get("/sso/login", query_string={"next": evil})
        resp = tc.get(through_op(resp.location))
        assert resp.status_code == 302 and resp.location == "/"


def test_logout_ends_local_session_and_redirects_to_end_session(portal, op):
    app, _ = portal
    tc = app.test_client()
    flask_login(tc)
    resp = tc.get("/sso/logout")
    parts = urlsplit(resp.location)
    q = parse_qs(parts.query)
    assert resp.location.startswith(f"{op.issuer}/logout?")
    assert q["client_id"] == ["portal"] and q["id_token_hint"][0].count(".") == 2
    assert q["post_logout_redirect_uri"] == ["http://localhost/"]
    assert tc.get("/").json == {"user": None}


def test_step_up_redirects_with_acr_values_and_then_allows(portal):
    app, _ = portal
    tc = app.test_client()
    flask_login(tc)  # loa:1 session
    resp = tc.get("/high")
    assert resp.status_code == 302 and "acr_values=urn" in resp.location
    resp = tc.get(resp.location)
    assert parse_qs(urlsplit(resp.location).query)["acr_values"] == ["urn:sd:tysfrz:loa:2"]
    resp = tc.get(through_op(resp.location))
    assert resp.location == "/high"
    assert tc.get("/high").json == {"acr": "urn:sd:tysfrz:loa:2"}


def test_step_up_fails_when_gateway_returns_lower_acr(portal, op):
    app, _ = portal
    op.honor_acr_values = False
    tc = app.test_client()
    resp = tc.get(tc.get("/high").location)
    resp = tc.get(through_op(resp.location))
    assert resp.status_code == 400  # no redirect loop: the login itself is refused


def test_get_access_token_refreshes_when_expired(portal, op, clock):
    app, sso = portal
    tc = app.test_client()
    flask_login(tc)
    first = tc.get("/token").json["access_token"]
    assert op.counts["token:refresh_token"] == 0
    op.access_ttl = 301  # different exp, so the refreshed token differs
    with app.app_context():
        state = app.extensions["sso_client"]
        state.tokens.clock = lambda: 10**10  # the stored token looks expired
    second = tc.get("/token").json["access_token"]
    assert op.counts["token:refresh_token"] == 1 and second != first


def test_refresh_refused_ends_local_session(portal, op):
    app, _ = portal
    tc = app.test_client()
    flask_login(tc)
    op.revoked_families.update(rt["family"] for rt in op.refresh_tokens.values())
    app.extensions["sso_client"].tokens.clock = lambda: 10**10
    assert tc.get("/token").json == {"access_token": None}
    assert tc.get("/").json == {"user": None}


def test_config_is_read_from_app_config_and_redirect_uri_is_derived(op):
    from flask import Flask

    from sso_client.flask import SSO

    app = Flask("cfg-portal")
    app.secret_key = "k"
    app.config.update(SSO_ISSUER=op.issuer, SSO_CLIENT_ID="portal", SSO_CLIENT_SECRET="portal-secret",
                      SSO_SCOPE="openid profile phone")
    sso = SSO()
    sso.init_app(app)
    assert not hasattr(sso, "app") and app.extensions["sso_client"].config.scope == "openid profile phone"
    q = parse_qs(urlsplit(app.test_client().get("/sso/login").location).query)
    assert q["redirect_uri"] == ["http://localhost/sso/callback"] and q["scope"] == ["openid profile phone"]


def test_missing_configuration_fails_at_init():
    import pytest
    from flask import Flask

    from sso_client import ConfigurationError
    from sso_client.flask import SSO

    with pytest.raises(ConfigurationError):
        SSO(Flask("empty"))


def test_stale_pending_login_is_refused(portal, monkeypatch):
    import time as _time

    app, _ = portal
    tc = app.test_client()
    callback = through_op(tc.get("/sso/login").location)
    real = _time.time
    monkeypatch.setattr("sso_client.flask.time.time", lambda: real() + 601)
    assert tc.get(callback).status_code == 400


def test_login_and_backchannel_with_redis_store(op, client, redis_client):
    from flask import Flask

    from sso_client import RedisSessionStore
    from sso_client.flask import SSO, current_sso_user

    app = Flask("redis-portal")
    app.secret_key = "k"
    sso = SSO(app, client=client, session_store=RedisSessionStore(redis_client))

    @app.route("/private")
    @sso.login_required
    def private():
        return {"sub": current_sso_user["sub"], "token": bool(sso.get_access_token())}

    browser = app.test_client()
    flask_login(browser)
    assert browser.get("/private").json == {"sub": "u-1001", "token": True}
    assert any(k.startswith(b"sso:data:tok:") for k in redis_client.keys("sso:*"))
    resp = app.test_client().post("/sso/backchannel-logout", data={"logout_token": op.mint_logout_token()})
    assert resp.status_code == 200
    assert browser.get("/private").status_code == 302
    assert not any(k.startswith(b"sso:data:tok:") for k in redis_client.keys("sso:*"))


def test_two_apps_share_one_extension_object(op, client):
    from flask import Flask

    from sso_client import MemorySessionStore
    from sso_client.flask import SSO

    sso = SSO(client=client)
    apps = [Flask(f"app{i}") for i in range(2)]
    for a in apps:
        a.secret_key = "k"
        sso.init_app(a)
    stores = {id(a.extensions["sso_client"].store) for a in apps}
    assert len(stores) == 2 and all(isinstance(a.extensions["sso_client"].store, MemorySessionStore) for a in apps)


def test_pkce_verifier_stays_server_side_and_callback_is_single_use(portal):
    app, _ = portal
    tc = app.test_client()
    resp = tc.get("/sso/login")
    state = parse_qs(urlsplit(resp.location).query)["state"][0]
    stored = app.extensions["sso_client"].store.get(f"auth:{state}")
    cookie = tc.get_cookie("session").value
    assert stored["code_verifier"] and stored["code_verifier"] not in cookie
    from flask.sessions import SecureCookieSessionInterface

    data = SecureCookieSessionInterface().get_signing_serializer(app).loads(cookie)
    assert data["_sso_pending"] == [state]
    callback = through_op(resp.location)
    assert tc.get(callback).status_code == 302
    tc.get("/sso/logout")
    assert tc.get(callback).status_code == 400  # replaying the callback does not log in again
    assert tc.get("/").json == {"user": None}


def test_unreachable_gateway_is_a_502_page(op, store):
    from flask import Flask

    from sso_client import ClientConfig, OIDCClient
    from sso_client.flask import SSO

    app = Flask("offline")
    app.secret_key = "k"
    client = OIDCClient(ClientConfig(issuer="http://127.0.0.1:9", client_id="portal", client_secret="x",
                                     redirect_uri="http://localhost/sso/callback", http_timeout=1))
    SSO(app, client=client, session_store=store)
    assert app.test_client().get("/sso/login").status_code == 502
