"""Every refusal the gateway must make, through the public HTTP surface."""

from __future__ import annotations

import threading
from urllib.parse import urlencode

import pytest

from tests.helpers import authorize_url, basic, get_code, query, redeem


@pytest.mark.parametrize("bad", [
    "https://evil.example/callback",
    "{base}/extra",
    "{base}?x=1",
    "{base_port}",
    "{base_http}",
    "https://portal.weifang.example@evil.example/callback",
    "https://evil.example/callback#{base}",
    "{base_upper}",
    "{base}/",
    "{base}%2F..%2F",
])
def test_unregistered_or_near_miss_redirect_uri_gets_error_page_and_no_redirect(client, rp, bad):
    base = rp["redirect_uri"]
    host = base.split("/")[2]
    bad = bad.format(base=base, base_port=base.replace(host, host + ":8443"),
                     base_http=base.replace("https://", "http://"), base_upper=base.replace(host, host.upper()))
    url, _ = authorize_url({**rp, "redirect_uri": bad})
    r = client.get(url)
    assert r.status_code == 400
    assert "Location" not in r.headers
    assert "text/html" in r.content_type


def test_unknown_client_gets_error_page(client, rp):
    url, _ = authorize_url({**rp, "client_id": "no-such-client"})
    r = client.get(url)
    assert r.status_code == 400 and "Location" not in r.headers


def test_unsupported_response_type_redirects_error_to_registered_uri(client, rp):
    url, params = authorize_url(rp, response_type="token")
    r = client.get(url)
    assert r.status_code == 302
    q = query(r.headers["Location"])
    assert r.headers["Location"].startswith(rp["redirect_uri"])
    assert q["error"] == "unsupported_response_type" and q["state"] == params["state"]


def test_invalid_scope(client, rp):
    url, _ = authorize_url(rp, scope="openid admin:everything")
    r = client.get(url)
    assert r.status_code == 302 and query(r.headers["Location"])["error"] == "invalid_scope"


def test_plain_pkce_is_refused(client, rp):
    url, _ = authorize_url(rp, code_challenge_method="plain")
    r = client.get(url)
    assert r.status_code == 302 and query(r.headers["Location"])["error"] == "invalid_request"


def test_duplicate_parameters_are_refused(client, rp):
    url, _ = authorize_url(rp)
    r = client.get(url + "&scope=openid+email")
    assert r.status_code == 400 and "Location" not in r.headers


def test_code_redeemed_twice_fails_and_revokes_what_it_issued(client, rp, user):
    code, params = get_code(client, rp, user)
    first = redeem(client, rp, code, params)
    assert first.status_code == 200
    second = redeem(client, rp, code, params)
    assert second.status_code == 400 and second.json["error"] == "invalid_grant"
    info = client.get("/userinfo", headers={"Authorization": f"Bearer {first.json['access_token']}"})
    assert info.status_code == 401
    r = client.post("/token", data={"grant_type": "refresh_token", "refresh_token": first.json["refresh_token"]},
                    headers=basic(rp))
    assert r.status_code == 400


def test_concurrent_redemption_issues_tokens_once(app, rp, user):
    code, params = get_code(app.test_client(), rp, user)
    results = []

    def attempt():
        results.append(redeem(app.test_client(), rp, code, params).status_code)

    threads = [threading.Thread(target=attempt) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [200] + [400] * 7


def test_pkce_verifier_mismatch(client, rp, user):
    code, params = get_code(client, rp, user)
    r = redeem(client, rp, code, params, code_verifier="x" * 50)
    assert r.status_code == 400 and r.json["error"] == "invalid_grant"


def test_code_presented_by_another_client(client, svc, rp, user):
    code, params = get_code(client, rp, user)
    other, secret = svc.clients.create(name="另一个门户", redirect_uris=[rp["redirect_uri"]], first_party=True)
    r = redeem(client, {"client_id": other.client_id, "client_secret": secret}, code, params)
    assert r.status_code == 400 and r.json["error"] == "invalid_grant"


def test_code_with_another_redirect_uri(client, svc, user):
    record, secret = svc.clients.create(name="双回调门户", first_party=True,
                                        redirect_uris=["https://a.weifang.example/cb", "https://a.weifang.example/cb2"])
    rp = {"client_id": record.client_id, "client_secret": secret, "redirect_uri": "https://a.weifang.example/cb"}
    code, params = get_code(client, rp, user)
    r = redeem(client, rp, code, {**params, "redirect_uri": "https://a.weifang.example/cb2"})
    assert r.status_code == 400 and r.json["error"] == "invalid_grant"


def test_wrong_client_secret_basic_gets_401_with_challenge(client, rp):
    r = client.post("/token", data={"grant_type": "client_credentials"},
                    headers=basic({**rp, "client_secret": "wrong"}))
    assert r.status_code == 401 and r.json["error"] == "invalid_client"
    assert r.headers.get("WWW-Authenticate", "").startswith("Basic")


def test_wrong_client_secret_post(client, rp):
    r = client.post("/token", data={"grant_type": "client_credentials", "client_id": rp["client_id"],
                                    "client_secret": "wrong"})
    assert r.status_code in (400, 401) and r.json["error"] == "invalid_client"


def test_access_token_in_query_string_is_refused(client, rp, user):
    code, params = get_code(client, rp, user)
    token = redeem(client, rp, code, params).json["access_token"]
    r = client.get("/userinfo?" + urlencode({"access_token": token}))
    assert r.status_code == 400 and r.json["error"] == "invalid_request"
    r = client.post("/userinfo", data={"access_token": token})
    assert r.status_code == 400


def test_tampered_access_token_is_refused(client, rp, user):
    code, params = get_code(client, rp, user)
    token = redeem(client, rp, code, params).json["access_token"]
    head, body, sig = token.split(".")
    r = client.get("/userinfo", headers={"Authorization": f"Bearer {head}.{body}.{sig[::-1]}"})
    assert r.status_code == 401 and "invalid_token" in r.headers["WWW-Authenticate"]


def test_disabled_client_is_refused(client, svc, user):
    record, secret = svc.clients.create(name="将停用", redirect_uris=["https://d.weifang.example/cb"], first_party=True)
    svc.clients.set_enabled(record.client_id, False)
    url, _ = authorize_url({"client_id": record.client_id, "redirect_uri": "https://d.weifang.example/cb"})
    assert client.get(url).status_code == 400


ENDPOINTS = ["/token", "/introspect", "/revoke", "/userinfo", "/authorize", "/logout", "/login/local", "/consent"]


@pytest.mark.parametrize("path", ENDPOINTS)
@pytest.mark.parametrize("body,ctype", [
    (b"\xff\xfe\x00garbage=\x80", "application/x-www-form-urlencoded"),
    (b"{not json", "application/json"),
    (b"grant_type=authorization_code&grant_type=refresh_token&code=%%%", "application/x-www-form-urlencoded"),
    (b"a=" + b"x" * 200_000, "application/x-www-form-urlencoded"),
    (b"<xml/>", "text/xml"),
])
def test_malformed_and_oversized_bodies_never_5xx(client, path, body, ctype):
    r = client.post(path, data=body, content_type=ctype)
    assert r.status_code < 500, (path, r.status_code, r.get_data(as_text=True)[:300])
    if path in ("/token", "/introspect", "/revoke", "/userinfo"):
        assert 400 <= r.status_code < 500
        assert r.is_json


@pytest.mark.parametrize("path", ["/authorize", "/userinfo", "/logout", "/authorize/continue"])
def test_malformed_queries_get_4xx(client, path):
    r = client.get(path + "?client_id=%ff%fe&redirect_uri=%00&tx=" + "x" * 5000)
    assert 400 <= r.status_code < 500 or r.status_code in (302, 200), r.status_code
    assert r.status_code < 500
