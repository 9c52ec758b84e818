"""Single logout: the gateway's back-channel logout tokens, delivered by the real DeliveryWorker, end the
local sessions of both demo portals; forged and replayed logout tokens are refused by the portal."""

from __future__ import annotations

import base64
import json

import requests
from joserfc import jwt
from joserfc.jwk import ECKey

from tests.sdk.conftest import is_anonymous, portal_login
from tests.services.receiver import Receiver
from tests.helpers import wait_until


def test_logout_at_one_portal_ends_the_sessions_in_both(stack, browser):
    sbj, qykb = stack.portals["sbj"], stack.portals["qykb"]
    assert portal_login(browser, qykb, "/company", login="wangwu03", user_type=2).status_code == 200
    assert portal_login(browser, sbj, "/my").status_code == 200  # SSO
    assert not is_anonymous(browser, qykb + "/company") and not is_anonymous(browser, sbj + "/my")
    # 退出登录 at the insurance portal: its own session at once, then the gateway's end_session
    bye = browser.http.post(sbj + "/sso/logout", timeout=15)
    assert bye.status_code == 200 and bye.url == sbj + "/"  # gateway → province → gateway → the portal's home
    assert is_anonymous(browser, sbj + "/my")
    # the company portal learns it only through the back channel (its cookie is still there)
    wait_until(lambda: is_anonymous(browser, qykb + "/company"), 15,
               "timed out waiting for back-channel logout at the company portal")
    # and the gateway session is gone: the next visit asks for a login again
    r = browser.http.get(sbj + "/my", timeout=15)
    assert r.url.startswith(stack.issuer + "/login") and 'action="/federation/provincial/start"' in r.text


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def _post(portal: str, token: str | None) -> requests.Response:
    return requests.post(portal + "/sso/backchannel-logout", data={} if token is None else {"logout_token": token},
                         timeout=10)


def test_forged_and_replayed_logout_tokens_are_refused(stack, browser):
    receiver = Receiver()
    try:
        watched = stack.start_portal("sbj", "wf-sbj-bc", backchannel=receiver.url)
        sbj = stack.portals["sbj"]
        assert portal_login(browser, watched, "/my", login="zhangsan01").status_code == 200
        assert portal_login(browser, sbj, "/my").status_code == 200
        assert browser.http.post(sbj + "/sso/logout", timeout=15).status_code == 200
        genuine = receiver.wait_for(1)[0]["form"]["logout_token"]
    finally:
        receiver.stop()
    decoded = jwt.decode(genuine, stack.svc.keys.public_keys())
    header, claims = decoded.header, decoded.claims
    assert claims["aud"] == "wf-sbj-bc" and claims["sid"]
    assert not is_anonymous(browser, watched + "/my")  # the recorder kept it from the portal

    attacker = ECKey.generate_key("P-256", parameters={"kid": header["kid"]})
    head, payload, sig = genuine.split(".")
    forgeries = {
        "signed by another key with the gateway's kid":
            jwt.encode({"alg": "ES256", "kid": header["kid"], "typ": "logout+jwt"}, claims, attacker),
        "claims changed after signing": f"{head}.{_b64({**claims, 'jti': 'x' + claims['jti']})}.{sig}",
        "alg none": f"{_b64({'alg': 'none', 'typ': 'logout+jwt'})}.{payload}.",
        "signature stripped": f"{head}.{payload}.",
        "nothing": None,
    }
    for what, token in forgeries.items():
        r = _post(watched, token)
        assert r.status_code == 400, what
        assert r.json() == {"error": "invalid_request"} and r.headers["Cache-Control"] == "no-store"
        assert not is_anonymous(browser, watched + "/my"), what

    first = _post(watched, genuine)
    assert first.status_code == 200
    assert is_anonymous(browser, watched + "/my")
    assert _post(watched, genuine).status_code == 400  # jti seen: a replay
