"""SSOMiddleware around a plain WSGI application."""

from __future__ import annotations

import pytest
from sso_flows import through_op
from werkzeug.test import Client
from werkzeug.wrappers import Response

from sso_client.wsgi import SSOMiddleware


def plain_app(environ, start_response):
    user = environ.get("sso.user")
    body = f"hello {user['sub']}" if user else "hello anonymous"
    return Response(body)(environ, start_response)


@pytest.fixture
def wrapped(client, store):
    mw = SSOMiddleware(plain_app, client, store, protect=lambda p: p.startswith("/office"), secure_cookie=False)
    return mw, Client(mw)


def login(browser, path="/office/desk"):
    resp = browser.get(path)
    assert resp.status_code == 302 and resp.location.startswith("/sso/login?next=")
    resp = browser.get(resp.location)
    return browser.get(through_op(resp.location))


def test_login_through_middleware(wrapped):
    _, browser = wrapped
    assert browser.get("/").get_data(as_text=True) == "hello anonymous"
    resp = login(browser)
    assert resp.status_code == 302 and resp.location == "/office/desk"
    assert browser.get("/office/desk").get_data(as_text=True) == "hello u-1001"


def test_callback_without_this_browsers_state_cookie_is_refused(wrapped):
    _, browser = wrapped
    resp = browser.get("/sso/login")
    other = Client(wrapped[0])
    assert other.get(through_op(resp.location)).status_code == 400


def test_backchannel_and_logout(wrapped, op):
    mw, browser = wrapped
    login(browser)
    environ_user = browser.get("/office/desk").get_data(as_text=True)
    assert environ_user == "hello u-1001"
    gw = Client(mw)
    assert gw.post("/sso/backchannel-logout", data={"logout_token": op.mint_logout_token()}).status_code == 200
    assert browser.get("/office/desk").status_code == 302
    login(browser)
    resp = browser.get("/sso/logout")
    assert resp.location.startswith(f"{op.issuer}/logout?client_id=portal&id_token_hint=")
    assert browser.get("/").get_data(as_text=True) == "hello anonymous"


def test_access_token_helper(wrapped):
    mw, browser = wrapped
    login(browser)
    seen = {}

    def app(environ, start_response):
        seen["token"] = mw.access_token(environ)
        return Response("ok")(environ, start_response)

    mw.app = app
    browser.get("/office/desk")
    assert seen["token"] and seen["token"].count(".") == 2


def test_access_token_helper_ends_session_when_refresh_is_refused(wrapped, op):
    mw, browser = wrapped
    login(browser)
    op.revoked_families.update(rt["family"] for rt in op.refresh_tokens.values())
    mw.tokens.clock = lambda: 10**10  # the stored token looks expired
    seen = {}

    def app(environ, start_response):
        seen["token"] = mw.access_token(environ)
        return Response("ok")(environ, start_response)

    mw.app = app
    browser.get("/office/desk")
    assert seen["token"] is None
    assert browser.get("/office/desk").status_code == 302
