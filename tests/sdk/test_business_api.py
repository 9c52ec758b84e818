"""The demo business API accepts only gateway access tokens with the right scope and audience."""

from __future__ import annotations

import pytest
import requests

from tests.federation.browser import ChainBrowser, code_of
from tests.helpers import authorize_url, basic
from tests.sdk.conftest import cell, portal_login


def user_tokens(stack, portal: str, client_id: str, scope: str, **chain) -> dict:
    """A user's tokens for a registered portal, obtained through the real code flow (no portal in between)."""
    rp = {"client_id": client_id, "client_secret": stack.secrets[client_id],
          "redirect_uri": stack.portals[portal] + "/sso/callback"}
    url, params = authorize_url(rp, scope=scope)
    r = ChainBrowser().run(stack.issuer + url, stop_at=rp["redirect_uri"], **chain)
    body = requests.post(f"{stack.issuer}/token", headers=basic(rp), timeout=10, data={
        "grant_type": "authorization_code", "code": code_of(r), "redirect_uri": rp["redirect_uri"],
        "code_verifier": params["code_verifier"]}).json()
    assert "access_token" in body, body
    return body


def service_token(stack, scope: str = "corp") -> str:
    r = requests.post(f"{stack.issuer}/token", timeout=10, data={"grant_type": "client_credentials", "scope": scope},
                      auth=("wf-api", stack.secrets["wf-api"]))
    assert r.status_code == 200, r.text
    return r.json()["access_token"]


def get(stack, path: str, token: str | None) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return requests.get(stack.api + path, headers=headers, timeout=10)


@pytest.fixture(scope="module")
def citizen(stack):
    return {"with_cn_id": user_tokens(stack, "sbj", "wf-sbj", "openid profile cn_id", login="zhangsan01"),
            "profile_only": user_tokens(stack, "sbj", "wf-sbj", "openid profile", login="zhangsan01")}


def test_token_with_the_scope_is_accepted(stack, citizen):
    r = get(stack, "/api/sbj/insurance", citizen["with_cn_id"]["access_token"])
    assert r.status_code == 200 and r.json()["caller"] == "wf-sbj"


def test_token_without_the_scope_is_refused_with_insufficient_scope(stack, citizen):
    r = get(stack, "/api/sbj/insurance", citizen["profile_only"]["access_token"])
    assert r.status_code == 403
    assert 'error="insufficient_scope"' in r.headers["WWW-Authenticate"] and 'scope="cn_id"' in r.headers[
        "WWW-Authenticate"]
    # and the insurance portal's token has no corp: the company endpoint refuses it too
    assert get(stack, "/api/qykb/company", citizen["with_cn_id"]["access_token"]).status_code == 403


def test_missing_forged_or_wrong_kind_of_token_is_401(stack, citizen):
    missing = get(stack, "/api/sbj/insurance", None)
    assert missing.status_code == 401 and "error=" not in missing.headers["WWW-Authenticate"]  # RFC 6750 §3.1
    token = citizen["with_cn_id"]["access_token"]
    head, payload, sig = token.split(".")
    forged = f"{head}.{payload[:-4]}AAAA.{sig}"
    for bad in (forged, citizen["with_cn_id"]["id_token"], "not-a-jwt"):  # an id_token is not an access token
        r = get(stack, "/api/sbj/insurance", bad)
        assert r.status_code == 401 and 'error="invalid_token"' in r.headers["WWW-Authenticate"]
    # a token in the query string is ignored (RFC 6750 §2.3 is not supported)
    assert requests.get(stack.api + "/api/sbj/insurance", params={"access_token": token}, timeout=5).status_code == 401


def test_service_token_reaches_the_exchange_but_not_the_user_endpoints(stack, citizen):
    svc_token = service_token(stack)
    ok = get(stack, "/exchange/credit/91370705MA3C4F2K26", svc_token)
    assert ok.status_code == 200 and ok.json()["served_to"] == "wf-api"
    assert get(stack, "/api/sbj/insurance", svc_token).status_code == 401  # aud wf-api is not a portal
    # a user's token is not accepted at the service-to-service endpoint (aud is the portal)
    assert get(stack, "/exchange/credit/91370705MA3C4F2K26", citizen["with_cn_id"]["access_token"]).status_code == 401


def test_company_endpoint_uses_the_users_unit_and_a_service_token(stack):
    tokens = user_tokens(stack, "qykb", "wf-qykb", "openid profile corp", login="wangwu03", user_type=2)
    r = get(stack, "/api/qykb/company", tokens["access_token"])
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["uscc"] == "91370705MA3C4F2K26" and body["caller"] == "wf-qykb"
    assert body["credit"]["served_to"] == "wf-api"  # fetched with the API's client_credentials token
    # the company portal's token has no cn_id: refused by the insurance endpoint
    assert get(stack, "/api/sbj/insurance", tokens["access_token"]).status_code == 403


def test_company_page_still_works_after_the_portal_refreshed_its_tokens(stack, browser):
    base = stack.start_portal("qykb", "wf-qykb-r", always_refresh=True)
    page = portal_login(browser, base, "/company", login="wangwu03", user_type=2)
    assert page.status_code == 200
    assert 'id="api-error"' not in page.text and cell(page.text, "api-caller") == "wf-qykb-r"
