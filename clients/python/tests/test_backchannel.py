"""Back-channel logout: validation of logout tokens and ending the portal session."""

from __future__ import annotations

import time

import pytest
from joserfc.jwk import RSAKey
from sso_flows import flask_login

from sso_client import InvalidLogoutToken, LogoutTokenValidator


@pytest.fixture
def validator(op, client, store):
    return LogoutTokenValidator(op.issuer, "portal", client.discovery, store)


def test_valid_token_returns_sub_and_sid(validator, op):
    assert validator.validate(op.mint_logout_token()) == ("u-1001", "sid-1")


def test_replayed_jti_is_refused(validator, op):
    token = op.mint_logout_token()
    validator.validate(token)
    with pytest.raises(InvalidLogoutToken, match="replayed"):
        validator.validate(token)


def test_absent_typ_is_accepted(validator, op):
    token = op.sign(
        {"iss": op.issuer, "aud": "portal", "iat": int(time.time()), "jti": "j-typless", "sid": "s",
         "events": {"http://schemas.openid.net/event/backchannel-logout": {}}},
        {"alg": "RS256"}, op.rsa,
    )
    assert validator.validate(token) == (None, "s")


@pytest.mark.parametrize(
    "kwargs",
    [
        {"nonce": "n"},
        {"header": {"typ": "JWT"}},
        {"header": {"typ": "at+jwt"}},
        {"aud": "other-portal"},
        {"iss": "https://evil.example"},
        {"iat": int(time.time()) - 3600},
        {"exp": int(time.time()) - 3600},
        {"events": {"http://schemas.openid.net/event/backchannel-logout": "yes"}},
        {"events": None},
        {"sub": None, "sid": None},
        {"jti": None},
    ],
    ids=["nonce", "typ-JWT", "typ-at+jwt", "aud", "iss", "old-iat", "expired", "event-not-object",
         "no-events", "no-sub-sid", "no-jti"],
)
def test_bad_logout_tokens_are_refused(validator, op, kwargs):
    with pytest.raises(InvalidLogoutToken):
        validator.validate(op.mint_logout_token(**kwargs))


def test_bad_signature_is_refused(validator, op):
    token = op.sign(
        {"iss": op.issuer, "aud": "portal", "iat": int(time.time()), "jti": "j1", "sid": "s",
         "events": {"http://schemas.openid.net/event/backchannel-logout": {}}},
        {"alg": "RS256", "typ": "logout+jwt"}, RSAKey.generate_key(2048, parameters={"kid": "rsa-1"}),
    )
    with pytest.raises(InvalidLogoutToken):
        validator.validate(token)


def test_backchannel_endpoint_ends_the_portal_session(portal, op):
    app, _ = portal
    browser = app.test_client()
    flask_login(browser)
    assert browser.get("/").json == {"user": "u-1001"}
    gateway = app.test_client()
    resp = gateway.post("/sso/backchannel-logout", data={"logout_token": op.mint_logout_token()})
    assert resp.status_code == 200 and resp.headers["Cache-Control"] == "no-store"
    # the browser still presents its (cookie) session, but it is over
    assert browser.get("/").json == {"user": None}
    assert browser.get("/private").status_code == 302


def test_backchannel_by_sub_ends_all_sessions_of_the_user(portal, op):
    app, _ = portal
    browsers = [app.test_client(), app.test_client()]
    for b in browsers:
        flask_login(b)
    token = op.mint_logout_token(sid=None)
    assert app.test_client().post("/sso/backchannel-logout", data={"logout_token": token}).status_code == 200
    assert all(b.get("/").json == {"user": None} for b in browsers)


def test_backchannel_endpoint_rejects_bad_tokens(portal, op):
    app, _ = portal
    browser = app.test_client()
    flask_login(browser)
    gateway = app.test_client()
    for data in ({}, {"logout_token": "garbage"}, {"logout_token": op.mint_logout_token(nonce="n")}):
        resp = gateway.post("/sso/backchannel-logout", data=data)
        assert resp.status_code == 400 and resp.json == {"error": "invalid_request"}
        assert resp.headers["Cache-Control"] == "no-store"
    assert browser.get("/").json == {"user": "u-1001"}
    token = op.mint_logout_token()
    assert gateway.post("/sso/backchannel-logout", data={"logout_token": token}).status_code == 200
    assert gateway.post("/sso/backchannel-logout", data={"logout_token": token}).status_code == 400  # replay


def test_backchannel_is_exempt_from_flask_wtf_csrf(op, client, store):
    from flask import Flask
    from flask_wtf.csrf import CSRFProtect

    from sso_client.flask import SSO

    app = Flask("csrf-portal")
    app.secret_key = "k"
    CSRFProtect(app)
    SSO(app, client=client, session_store=store)
    resp = app.test_client().post("/sso/backchannel-logout", data={"logout_token": op.mint_logout_token()})
    assert resp.status_code == 200
