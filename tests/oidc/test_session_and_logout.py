"""SSO session cookies, prompt/max_age handling and RP-initiated logout."""

from __future__ import annotations

from tests.helpers import authorize_url, csrf_of, get_code, query, redeem


def _session_cookie(client):
    cookie = client.get_cookie("gw_session")
    return cookie.value if cookie else None


def test_session_id_changes_at_login_and_cookie_flags(client, rp, user):
    page = client.get("/login")
    before = _session_cookie(client)
    assert before, "the login page sets a session for CSRF"
    r = client.post("/login/local", data={"csrf_token": csrf_of(page.get_data(as_text=True)),
                                          "username": user["username"], "password": user["password"]})
    assert r.status_code == 302
    after = _session_cookie(client)
    assert after and after != before
    set_cookie = [h for h in r.headers.getlist("Set-Cookie") if h.startswith("gw_session=")][0]
    assert "HttpOnly" in set_cookie and "SameSite=Lax" in set_cookie
    assert "Secure" not in set_cookie  # http issuer (loopback development); https sets Secure


def test_second_portal_gets_a_code_without_login(client, svc, rp, user):
    get_code(client, rp, user)
    record, secret = svc.clients.create(name="第二门户", redirect_uris=["https://b.weifang.example/cb"], first_party=True)
    url, params = authorize_url({"client_id": record.client_id, "redirect_uri": "https://b.weifang.example/cb"})
    r = client.get(url)
    assert r.status_code == 302 and "code=" in r.headers["Location"]


def test_prompt_none_without_session_returns_login_required(client, rp):
    url, params = authorize_url(rp, prompt="none")
    r = client.get(url)
    q = query(r.headers["Location"])
    assert q["error"] == "login_required" and q["state"] == params["state"]


def test_prompt_login_forces_a_fresh_login(client, rp, user):
    get_code(client, rp, user)
    url, _ = authorize_url(rp, prompt="login")
    r = client.get(url)
    assert r.headers["Location"].startswith("/login") or "/login?" in r.headers["Location"]
    code, params = get_code(client, rp, user, prompt="login")
    assert redeem(client, rp, code, params).status_code == 200


def test_max_age_zero_forces_login_and_auth_time_is_fresh(client, rp, user):
    get_code(client, rp, user)
    url, _ = authorize_url(rp, max_age="0")
    assert "/login" in client.get(url).headers["Location"]
    r = client.get(authorize_url(rp, max_age="abc")[0])
    assert query(r.headers["Location"])["error"] == "invalid_request"


def test_consent_is_asked_then_remembered(client, svc, user):
    record, secret = svc.clients.create(name="需同意的门户", department="市民政局",
                                        redirect_uris=["https://c.weifang.example/cb"], scope="openid profile email")
    rp = {"client_id": record.client_id, "client_secret": secret, "redirect_uri": "https://c.weifang.example/cb"}
    get_code(client, rp, user, scope="openid profile email")  # helper approves the consent page
    url, _ = authorize_url(rp, scope="openid profile")
    r = client.get(url)
    assert "code=" in r.headers["Location"]
    url, _ = authorize_url(rp, scope="openid profile email", prompt="none")
    assert "code=" in client.get(url).headers["Location"]


def test_consent_denied_returns_access_denied(client, svc, user):
    record, secret = svc.clients.create(name="拒绝授权", redirect_uris=["https://e.weifang.example/cb"])
    rp = {"client_id": record.client_id, "redirect_uri": "https://e.weifang.example/cb"}
    url, params = authorize_url(rp)
    r = client.get(url)
    login = r.headers["Location"]
    page = client.get(login)
    r = client.post("/login/local", data={"csrf_token": csrf_of(page.get_data(as_text=True)),
                                          "tx": query(login)["tx"], "username": user["username"],
                                          "password": user["password"]})
    r = client.get(r.headers["Location"])
    consent = r.headers["Location"]
    assert "/consent" in consent
    page = client.get(consent)
    assert "拒绝授权" in page.get_data(as_text=True)
    r = client.post(consent, data={"csrf_token": csrf_of(page.get_data(as_text=True)), "tx": query(consent)["tx"],
                                   "decision": "deny"})
    q = query(r.headers["Location"])
    assert q["error"] == "access_denied" and q["state"] == params["state"]


def test_logout_without_hint_asks_for_confirmation(client, rp, user):
    get_code(client, rp, user)
    r = client.get("/logout")
    assert r.status_code == 200 and "确认退出登录" in r.get_data(as_text=True)
    # still logged in: a cross-site GET cannot log anyone out
    url, _ = authorize_url(rp, prompt="none")
    assert "code=" in client.get(url).headers["Location"]
    r = client.post("/logout/confirm", data={"confirm": "yes"})  # no CSRF token
    assert r.status_code == 400
    page = client.get("/logout")
    r = client.post("/logout/confirm", data={"confirm": "yes", "csrf_token": csrf_of(page.get_data(as_text=True))})
    assert r.status_code == 302
    assert query(client.get(url).headers["Location"]).get("error") == "login_required"


def test_unregistered_post_logout_redirect_is_not_followed(client, rp, user):
    code, params = get_code(client, rp, user)
    id_token = redeem(client, rp, code, params).json["id_token"]
    r = client.get("/logout", query_string={"id_token_hint": id_token,
                                             "post_logout_redirect_uri": "https://evil.example/"})
    assert r.status_code == 302 and not r.headers["Location"].startswith("https://evil.example")


def test_invalid_id_token_hint_is_an_error_page(client):
    r = client.get("/logout", query_string={"id_token_hint": "a.b.c"})
    assert r.status_code == 400 and "Location" not in r.headers


def test_security_headers(client):
    r = client.get("/login")
    assert r.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in r.headers["Content-Security-Policy"]
    assert "'unsafe-inline'" not in r.headers["Content-Security-Policy"]
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert r.headers["Cache-Control"] == "no-store"


def test_english_by_accept_language_and_switch(client):
    assert "Log in" in client.get("/login", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "登录" in client.get("/login", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
