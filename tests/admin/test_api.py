"""Every admin API endpoint, and the role rules: each role does its own part only."""

from __future__ import annotations

import secrets

import pytest

from tests.admin.conftest import api_client, token_for
from tests.helpers import get_code

API = "/admin/api/v1"


def rp_body(**extra):
    return {"name": "不动产登记门户", "department": "市自然资源局",
            "redirect_uris": [f"https://bdc-{secrets.token_hex(3)}.weifang.example/callback"],
            "scope": "openid profile cn_id", "allowed_user_types": ["natural", "legal"], "min_acr_level": 2,
            "release_policy": {"cn_id_number": {"basis": "statutory", "purpose": "不动产登记法定职责"}}, **extra}


def test_no_token_and_bad_tokens_get_problem_json(aclient):
    r = aclient.get(f"{API}/relying-parties")
    assert r.status_code == 401 and r.mimetype == "application/problem+json" and "Bearer" in r.headers["WWW-Authenticate"]
    r = aclient.get(f"{API}/relying-parties", headers={"Authorization": "Bearer not.a.token"})
    assert r.status_code == 401 and r.get_json()["status"] == 401


def test_a_token_without_admin_scope_or_with_two_is_refused(aclient, asvc):
    rp, secret = asvc.clients.create(name="普通服务", grant_types=["client_credentials"], scope="openid profile")
    plain = token_for(aclient, {"client_id": rp.client_id, "client_secret": secret, "scope": "profile"})
    assert aclient.get(f"{API}/me", headers={"Authorization": f"Bearer {plain}"}).status_code == 403
    rp2, secret2 = asvc.clients.create(name="越权服务", grant_types=["client_credentials"],
                                       scope="admin:system admin:audit")
    both = token_for(aclient, {"client_id": rp2.client_id, "client_secret": secret2,
                               "scope": "admin:system admin:audit"})
    assert aclient.get(f"{API}/me", headers={"Authorization": f"Bearer {both}"}).status_code == 403


def test_a_user_access_token_is_not_an_admin_token(aclient, asvc, make):
    admin = make("system", enrol=False)
    rp, secret = asvc.clients.create(name="门户", redirect_uris=["https://p.weifang.example/cb"], first_party=True,
                                     scope="openid profile")
    client = {"client_id": rp.client_id, "client_secret": secret, "redirect_uri": "https://p.weifang.example/cb"}
    c = aclient.application.test_client()
    code, params = get_code(c, client, admin)
    from tests.helpers import redeem

    token = redeem(c, client, code, params).get_json()["access_token"]
    assert aclient.get(f"{API}/me", headers={"Authorization": f"Bearer {token}"}).status_code == 403


def test_me_and_dashboard_for_every_role(aclient, bearer):
    for role in ("system", "security", "audit"):
        assert aclient.get(f"{API}/me", headers=bearer(role)).get_json()["role"] == role
        d = aclient.get(f"{API}/dashboard", headers=bearer(role)).get_json()
        assert {"logins_per_hour", "login_failures", "active_sessions", "logout_deliveries"} <= set(d)


def test_system_admin_manages_relying_parties(aclient, bearer, asvc):
    h = bearer("system")
    r = aclient.post(f"{API}/relying-parties", json=rp_body(), headers=h)
    assert r.status_code == 201, r.get_data(as_text=True)
    created = r.get_json()
    cid, etag = created["client_id"], r.headers["ETag"]
    assert created["client_secret"] and created["version"] == 1 and r.headers["Location"].endswith(cid)
    assert "client_secret" not in aclient.get(f"{API}/relying-parties/{cid}", headers=h).get_json()
    assert aclient.get(f"{API}/relying-parties/{cid}", headers={**h, "If-None-Match": etag}).status_code == 304
    listing = aclient.get(f"{API}/relying-parties?department=市自然资源局&per_page=200", headers=h).get_json()
    assert cid in [i["client_id"] for i in listing["items"]] and listing["page"] == 1
    assert aclient.get(f"{API}/relying-parties?q={cid}", headers=h).get_json()["total"] == 1
    # Edits need If-Match; a stale one is refused (no silent overwrite)
    assert aclient.patch(f"{API}/relying-parties/{cid}", json={"name": "x"}, headers=h).status_code == 428
    r = aclient.patch(f"{API}/relying-parties/{cid}", json={"name": "不动产登记门户（新）"}, headers={**h, "If-Match": etag})
    assert r.status_code == 200 and r.get_json()["version"] == 2
    r2 = aclient.patch(f"{API}/relying-parties/{cid}", json={"department": "别的"}, headers={**h, "If-Match": etag})
    assert r2.status_code == 412 and r2.mimetype == "application/problem+json"
    r3 = aclient.patch(f"{API}/relying-parties/{cid}", json={"department": "市自然资源和规划局", "version": 2}, headers=h)
    assert r3.status_code == 200 and r3.headers["ETag"] != r.headers["ETag"]
    # enable / disable take effect at once
    assert aclient.post(f"{API}/relying-parties/{cid}/disable", headers=h).get_json()["enabled"] is False
    assert asvc.clients.get(cid) is None
    assert aclient.post(f"{API}/relying-parties/{cid}/enable", headers=h).get_json()["enabled"] is True
    assert asvc.clients.get(cid) is not None
    # rotate: new secret once, the old one stops working
    r = aclient.post(f"{API}/relying-parties/{cid}/rotate-secret", headers=h)
    assert r.status_code == 200 and r.get_json()["client_secret"] != created["client_secret"]
    assert not asvc.clients.get(cid).check_client_secret(created["client_secret"])
    assert asvc.clients.get(cid).check_client_secret(r.get_json()["client_secret"])
    for sub in ("sessions", "consents", "logout-deliveries"):
        r = aclient.get(f"{API}/relying-parties/{cid}/{sub}", headers=h)
        assert r.status_code == 200 and "items" in r.get_json()


@pytest.mark.parametrize("bad, needle", [
    ({"redirect_uris": ["http://portal.weifang.example/cb"]}, "https"),
    ({"redirect_uris": ["https://*.weifang.example/cb"]}, "wildcard"),
    ({"redirect_uris": ["https://portal.weifang.example/cb#x"]}, "fragment"),
    ({"scope": "openid admin:security"}, "operator"),
    ({"release_policy": {"cn_id_number": {"basis": "because"}}}, "basis"),
    ({"min_acr_level": 7}, "min_acr_level"),
    ({"grant_types": ["password"]}, "grant type"),
    ({"colour": "red"}, "unknown field"),
])
def test_invalid_relying_parties_are_refused_with_every_problem_listed(aclient, bearer, bad, needle):
    r = aclient.post(f"{API}/relying-parties", json=rp_body(**bad), headers=bearer("system"))
    assert r.status_code == 422 and r.mimetype == "application/problem+json"
    assert any(needle in e for e in r.get_json()["errors"]), r.get_json()


def test_loopback_http_redirects_are_allowed_for_development(aclient, bearer):
    r = aclient.post(f"{API}/relying-parties", json=rp_body(redirect_uris=["http://127.0.0.1:8080/cb"]),
                     headers=bearer("system"))
    assert r.status_code == 201


def test_rotation_over_the_api_needs_a_fresh_token(aclient, asvc, clock):
    api = api_client(asvc, "system")
    token = token_for(aclient, api)
    rp, _ = asvc.clients.create(name="旧令牌", redirect_uris=["https://old.weifang.example/cb"])
    clock.advance(asvc.settings.admin.reauth_window + 1)
    h = {"Authorization": f"Bearer {token}"}
    r = aclient.post(f"{API}/relying-parties/{rp.client_id}/rotate-secret", headers=h)
    assert r.status_code == 401 and "insufficient_user_authentication" in r.headers["WWW-Authenticate"]
    assert aclient.post(f"{API}/keys/rotate", headers=h).status_code == 401
    fresh = {"Authorization": "Bearer " + token_for(aclient, api)}
    assert aclient.post(f"{API}/keys/rotate", headers=fresh).status_code == 200


def test_keys(aclient, bearer):
    h = bearer("system")
    before = aclient.get(f"{API}/keys", headers=h).get_json()["items"]
    kids = aclient.post(f"{API}/keys/rotate", headers=h).get_json()["kids"]
    after = {k["kid"]: k["state"] for k in aclient.get(f"{API}/keys", headers=h).get_json()["items"]}
    # published in JWKS at once, signing after tokens.key_publish_delay; the old keys sign until then
    assert all(after[k] == "published" for k in kids)
    assert all(after[k["kid"]] == "active" for k in before if k["state"] == "active")


def test_registration_requests_approve_and_reject(aclient, bearer, asvc):
    from gateway.admin import ops_requests

    h = bearer("system")
    good = ops_requests.submit(asvc, "dev-1", "开发者", {"name": "社保查询", "department": "市人社局",
                                                       "redirect_uris": ["https://si.weifang.example/cb"]})
    bad = ops_requests.submit(asvc, "dev-1", "开发者", {"name": "测试", "redirect_uris": ["https://t.weifang.example/cb"]})
    listing = aclient.get(f"{API}/registration-requests?status=pending", headers=h).get_json()
    assert {good.id, bad.id} <= {i["id"] for i in listing["items"]}
    assert aclient.get(f"{API}/registration-requests/{good.id}", headers=h).get_json()["status"] == "pending"
    r = aclient.post(f"{API}/registration-requests/{good.id}/approve", headers=h)
    assert r.status_code == 200 and r.get_json()["status"] == "approved"
    body = r.get_json()
    assert body["client_id"] and "secret" not in str(body)
    assert aclient.post(f"{API}/registration-requests/{good.id}/approve", headers=h).status_code == 409
    assert aclient.post(f"{API}/registration-requests/{bad.id}/reject", json={}, headers=h).status_code == 422
    r = aclient.post(f"{API}/registration-requests/{bad.id}/reject", json={"reason": "回调地址不是本部门域名"}, headers=h)
    assert r.get_json()["status"] == "rejected"
    # the credentials go to the requester, once
    client_id, secret = ops_requests.take_credentials(asvc, "dev-1", good.id)
    assert client_id == body["client_id"] and asvc.clients.get(client_id).check_client_secret(secret)
    assert ops_requests.take_credentials(asvc, "dev-1", good.id) is None
    assert ops_requests.take_credentials(asvc, "someone-else", good.id) is None


def test_security_admin_manages_users_and_never_sees_full_id_numbers(aclient, bearer, asvc, make):
    from gateway.federation.base import Identity

    full = "370702199003071230"
    user_id, _ = asvc.identities.link(Identity(
        connector="provincial", upstream_id="u-" + secrets.token_hex(4), claims={"name": "张三", "cn_id_number": full},
        auth_time=0, amr=("pwd",), acr="3", user_type="natural"))
    h = bearer("security")
    found = aclient.get(f"{API}/users?q=370702********1230", headers=h)
    assert user_id in [u["id"] for u in found.get_json()["items"]]
    detail = aclient.get(f"{API}/users/{user_id}", headers=h)
    assert detail.get_json()["identities"][0]["id_number_masked"] == "370702********1230"
    assert full not in detail.get_data(as_text=True) and full not in found.get_data(as_text=True)
    # lock / unlock / end sessions / history / sessions
    local = make(None, enrol=False)
    assert aclient.post(f"{API}/users/{local['user_id']}/lock", json={"reason": "离职"}, headers=h).status_code == 200
    from gateway.federation.base import InvalidCredentials

    with pytest.raises(InvalidCredentials):
        asvc.accounts.authenticate(local["username"], local["password"])
    assert aclient.post(f"{API}/users/{local['user_id']}/unlock", headers=h).get_json()["disabled"] is False
    asvc.accounts.authenticate(local["username"], local["password"])
    assert aclient.post(f"{API}/users/{local['user_id']}/end-sessions", headers=h).status_code == 200
    assert aclient.get(f"{API}/users/{local['user_id']}/sessions", headers=h).get_json()["items"] == []
    assert "items" in aclient.get(f"{API}/users/{user_id}/login-history", headers=h).get_json()
    admin = make("audit")
    assert aclient.post(f"{API}/users/{admin['user_id']}/reset-mfa", headers=h).get_json()["removed"] is True
    assert aclient.get(f"{API}/users/nobody", headers=h).status_code == 404


def test_audit_admin_reads_exports_and_verifies(aclient, bearer):
    h = bearer("audit")
    page = aclient.get(f"{API}/audit/events?event=admin.*&per_page=5", headers=h).get_json()
    assert page["per_page"] == 5 and all(e["event"].startswith("admin.") for e in page["items"])
    assert aclient.get(f"{API}/audit/events?result=failure", headers=h).status_code == 200
    assert aclient.get(f"{API}/audit/events?since=yesterday", headers=h).status_code == 422
    csv = aclient.get(f"{API}/audit/export?since=2020-01-01", headers=h)
    assert csv.mimetype == "text/csv" and csv.get_data(as_text=True).startswith("id,time,event")
    assert aclient.post(f"{API}/audit/verify", headers=h).get_json() == {"intact": True, "problems": []}


# Separation of duties: every endpoint, every role -------------------------------------------------
ROLE_OF = {
    ("GET", "/relying-parties"): "system", ("POST", "/relying-parties"): "system",
    ("GET", "/relying-parties/X"): "system", ("PATCH", "/relying-parties/X"): "system",
    ("POST", "/relying-parties/X/enable"): "system", ("POST", "/relying-parties/X/disable"): "system",
    ("POST", "/relying-parties/X/rotate-secret"): "system", ("GET", "/relying-parties/X/sessions"): "system",
    ("GET", "/relying-parties/X/consents"): "system", ("GET", "/relying-parties/X/logout-deliveries"): "system",
    ("GET", "/registration-requests"): "system", ("GET", "/registration-requests/1"): "system",
    ("POST", "/registration-requests/1/approve"): "system", ("POST", "/registration-requests/1/reject"): "system",
    ("GET", "/keys"): "system", ("POST", "/keys/rotate"): "system",
    ("GET", "/users"): "security", ("GET", "/users/U"): "security", ("GET", "/users/U/sessions"): "security",
    ("GET", "/users/U/login-history"): "security", ("POST", "/users/U/lock"): "security",
    ("POST", "/users/U/unlock"): "security", ("POST", "/users/U/end-sessions"): "security",
    ("POST", "/users/U/reset-mfa"): "security",
    ("GET", "/audit/events"): "audit", ("GET", "/audit/export"): "audit", ("POST", "/audit/verify"): "audit",
}


def test_every_endpoint_refuses_the_other_roles(aclient, bearer, asvc):
    rp, _ = asvc.clients.create(name="角色测试", redirect_uris=["https://r.weifang.example/cb"])
    user = asvc.accounts.create("victim-" + secrets.token_hex(3), "Pw-" + secrets.token_hex(8))
    keys_before = asvc.keys.listing()
    for (method, path), owner in ROLE_OF.items():
        url = API + path.replace("X", rp.client_id).replace("U", user.id)
        for role in ("system", "security", "audit"):
            if role == owner:
                continue
            r = aclient.open(url, method=method, json={"name": "x", "reason": "x"}, headers=bearer(role))
            assert r.status_code == 403, (role, method, path, r.status_code)
            assert r.mimetype == "application/problem+json"
    # nothing changed
    assert asvc.clients.find(rp.client_id).version == rp.version and asvc.clients.get(rp.client_id) is not None
    assert asvc.keys.listing() == keys_before
    denied = aclient.get(f"{API}/audit/events?event=admin.denied&per_page=200", headers=bearer("audit")).get_json()
    assert denied["total"] >= 2 * len(ROLE_OF) - 5


def test_every_admin_change_is_audited(aclient, bearer):
    h = bearer("system")
    cid = aclient.post(f"{API}/relying-parties", json=rp_body(), headers=h).get_json()["client_id"]
    aclient.post(f"{API}/relying-parties/{cid}/disable", headers=h)
    events = aclient.get(f"{API}/audit/events?client_id={cid}", headers=bearer("audit")).get_json()["items"]
    assert {"admin.rp_create", "admin.rp_disable"} <= {e["event"] for e in events}
    assert all(e["actor"].startswith("api:") and e["details"]["role"] == "system" for e in events
               if e["event"].startswith("admin."))


def test_unknown_paths_and_methods_answer_in_problem_json(aclient, bearer):
    r = aclient.get(f"{API}/nothing-here", headers=bearer("audit"))
    assert r.status_code == 404 and r.mimetype == "application/problem+json"
    r = aclient.delete(f"{API}/keys", headers=bearer("system"))
    assert r.status_code == 405 and r.mimetype == "application/problem+json" and "GET" in r.headers["Allow"]
    r = aclient.post(f"{API}/relying-parties", data="not json", headers={**bearer("system"),
                                                                        "Content-Type": "application/json"})
    assert r.status_code == 400 and r.mimetype == "application/problem+json"
    r = aclient.get(f"{API}/relying-parties?page=0", headers=bearer("system"))
    assert r.status_code == 422
