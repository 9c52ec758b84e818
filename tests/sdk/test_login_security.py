"""What the SDK refuses or handles at login, through the demo portals and the real gateway: state
mismatch, a tampered id_token, step-up from level 1 to 2, and gateway key rotation mid-session."""

from __future__ import annotations

import base64
import json
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
import requests
from joserfc import jwt
from joserfc.jwk import RSAKey
from werkzeug.wrappers import Request, Response

from sso_client import ClientConfig, Discovery, OIDCClient
from tests.federation.browser import ChainBrowser
from tests.sdk.conftest import SBJ_SCOPE, Served, cell, is_anonymous, portal_login

PASSWORD_FORM = 'action="/jis-web/login/password"'
RAISE_FORM = 'action="/jis-web/login/raise-level"'


def callback_of(browser: ChainBrowser, base: str, path: str = "/my", **chain) -> str:
    r = browser.run(base + path, stop_at=f"{base}/sso/callback", **chain)
    assert hasattr(r, "final_url"), r.text[:300]
    return r.final_url


def with_query(url: str, **changes) -> str:
    parts = urlsplit(url)
    q = dict(parse_qsl(parts.query))
    q.update(changes)
    return parts._replace(query=urlencode(q)).geturl()


# -- state -----------------------------------------------------------------------------------------

def test_callback_with_a_different_state_is_refused(stack, browser):
    sbj = stack.portals["sbj"]
    url = callback_of(browser, sbj, login="zhangsan01")
    r = browser.http.get(with_query(url, state="forged-" + "x" * 30), allow_redirects=False, timeout=10)
    assert r.status_code == 400 and "登录失败" in r.text
    assert is_anonymous(browser, sbj + "/my")


def test_callback_delivered_to_another_browser_is_refused(stack, browser):
    """Login CSRF: an attacker's code and state, planted in a victim's browser, do not log the victim in."""
    sbj = stack.portals["sbj"]
    attacker_url = callback_of(browser, sbj, login="zhangsan01")
    victim = ChainBrowser()
    r = victim.http.get(attacker_url, allow_redirects=False, timeout=10)
    assert r.status_code == 400
    assert is_anonymous(victim, sbj + "/my")
    # the genuine browser can still finish, once
    assert browser.http.get(attacker_url, timeout=10).url == sbj + "/my"
    again = browser.http.get(attacker_url, allow_redirects=False, timeout=10)
    assert again.status_code == 400  # a state is single use


# -- tampered id_token -----------------------------------------------------------------------------

class TamperingTokenEndpoint:
    """A man in the middle on the portal's token call: forwards to the gateway's real /token and alters
    the id_token in the answer according to ``mode``."""

    def __init__(self, issuer: str):
        self.issuer = issuer
        self.mode = "payload"
        self.attacker = RSAKey.generate_key(2048)
        self.served = Served().start(self)

    def __call__(self, environ, start_response):
        req = Request(environ)
        upstream = requests.post(self.issuer + "/token", data=req.form.to_dict(), timeout=10,
                                 headers={"Authorization": req.headers.get("Authorization", "")})
        body = upstream.json()
        if "id_token" in body:
            body["id_token"] = self.tamper(body["id_token"])
        return Response(json.dumps(body), status=upstream.status_code, mimetype="application/json")(
            environ, start_response)

    def tamper(self, token: str) -> str:
        head, payload, sig = token.split(".")
        header = json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        if self.mode == "untouched":
            return token
        enc = lambda d: base64.urlsafe_b64encode(json.dumps(d).encode()).decode().rstrip("=")  # noqa: E731
        if self.mode == "payload":  # someone else's identity, original signature
            return f"{head}.{enc({**claims, 'sub': 'someone-else', 'name': '冒名者'})}.{sig}"
        if self.mode == "alg-none":
            return f"{enc({'alg': 'none', 'typ': 'JWT'})}.{payload}."
        if self.mode == "resigned":  # valid signature, but by a key the gateway never published
            return jwt.encode({"alg": "RS256", "kid": header.get("kid")}, claims, self.attacker)
        if self.mode == "other-audience":
            return jwt.encode({"alg": "RS256", "kid": header.get("kid")}, {**claims, "aud": "another-portal"},
                              self.attacker)
        raise AssertionError(self.mode)


@pytest.fixture(scope="module")
def mitm(stack):
    proxy = TamperingTokenEndpoint(stack.issuer)

    def client(secret: str, base: str) -> OIDCClient:
        metadata = requests.get(stack.issuer + "/.well-known/openid-configuration", timeout=5).json()
        metadata["token_endpoint"] = proxy.served.url + "/token"
        jwks = requests.get(metadata["jwks_uri"], timeout=5).json()
        config = ClientConfig(issuer=stack.issuer, client_id="wf-sbj-mitm", client_secret=secret,
                              redirect_uri=f"{base}/sso/callback", scope=SBJ_SCOPE,
                              post_logout_redirect_uri=f"{base}/", jwks_min_refetch_interval=0)
        return OIDCClient(config, discovery=Discovery.from_documents(metadata, jwks, min_refetch_interval=0))

    base = stack.start_portal("sbj", "wf-sbj-mitm", client=client)
    yield proxy, base
    proxy.served.stop()


@pytest.mark.parametrize("mode", ["payload", "alg-none", "resigned", "other-audience"])
def test_tampered_id_token_is_refused(stack, mitm, mode):
    proxy, base = mitm
    proxy.mode = mode
    browser = ChainBrowser()
    r = browser.http.get(callback_of(browser, base, login="zhangsan01"), allow_redirects=False, timeout=15)
    assert r.status_code == 400 and "登录失败" in r.text
    assert is_anonymous(browser, base + "/my")


def test_untampered_login_through_the_same_path_works(stack, mitm):
    proxy, base = mitm
    proxy.mode = "untouched"
    page = portal_login(ChainBrowser(), base, "/my", login="zhangsan01")
    assert page.status_code == 200 and cell(page.text, "name") == "张三"


# -- step-up ---------------------------------------------------------------------------------------

def test_level_1_citizen_is_stepped_up_to_level_2_for_the_certificate(stack, browser):
    sbj = stack.portals["sbj"]
    my = portal_login(browser, sbj, "/my", login="sunqi05")
    assert cell(my.text, "name") == "孙七" and cell(my.text, "level") == "1"
    seen = len(browser.pages)
    # /cert needs level 2: the portal asks the gateway for acr_values=loa:2, the gateway sends the user back
    # to the province, which raises the level (simulated face check) without asking for the password again
    cert = portal_login(browser, sbj, "/cert")
    assert cert.status_code == 200 and cert.url == sbj + "/cert", cert.text[:300]
    assert "兹证明 <b>孙七</b>" in cert.text
    assert any(RAISE_FORM in p for p in browser.pages[seen:])
    assert not any(PASSWORD_FORM in p for p in browser.pages[seen:])
    assert cell(browser.http.get(sbj + "/my", timeout=10).text, "level") == "3"  # the new session's claims


def test_citizen_who_cannot_reach_level_2_gets_no_certificate(stack, browser):
    """zhao04 cannot be raised above level 1: no loop, the portal gets no session."""
    r = browser.run(stack.portals["sbj"] + "/cert", stop_at=f"{stack.portals['sbj']}/sso/callback", login="zhao04")
    assert not hasattr(r, "final_url")
    assert is_anonymous(browser, stack.portals["sbj"] + "/cert")


# -- key rotation ----------------------------------------------------------------------------------

def test_gateway_key_rotation_in_the_middle_of_a_session(stack, browser):
    base = stack.start_portal("sbj", "wf-sbj-rot", always_refresh=True)
    first = portal_login(browser, base, "/my", login="zhangsan01")
    assert cell(first.text, "api-caller") == "wf-sbj-rot"
    before = {k["kid"] for k in stack.svc.keys.public_keys().as_dict()["keys"]}

    new_kids = stack.svc.keys.rotate(3600)
    assert stack.svc.keys.signing_key("ES256").kid in new_kids and not set(new_kids) & before

    # same session: the portal refreshes (new id_token and access token, signed with the new keys),
    # the SDK refetches the JWKS for the unknown kid, the API does the same for the access token
    page = browser.http.get(base + "/my", timeout=15)
    assert page.url == base + "/my" and 'id="api-error"' not in page.text, page.text[:400]
    assert cell(page.text, "api-caller") == "wf-sbj-rot"
    # a new login (SSO) at another portal validates the id_token signed with the new key
    other = portal_login(browser, stack.portals["sbj"], "/sso/login?next=/my")
    assert other.url == stack.portals["sbj"] + "/my" and cell(other.text, "name") == "张三"


def test_rotation_right_after_a_portal_fetched_the_keys_with_sdk_defaults(stack, browser):
    """A rotated key is published before it signs (tokens.key_publish_delay, as `keys rotate` does),
    so a portal that cached the key set a moment ago keeps accepting logins."""
    base = stack.start_portal("sbj", "wf-sbj-60", SSO_JWKS_MIN_REFETCH_INTERVAL=None)
    assert portal_login(browser, base, "/my", login="zhangsan01").url == base + "/my"
    stack.svc.keys.rotate(3600, publish_delay=stack.svc.settings.tokens.key_publish_delay)
    again = browser.http.get(callback_of(browser, base, "/sso/login?next=/my"), timeout=15)
    assert again.status_code == 200 and again.url == base + "/my"
