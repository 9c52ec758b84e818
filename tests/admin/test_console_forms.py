"""Console forms: relying-party create/edit (validation, concurrent edits), users, requests — and
CSRF refused on every one of them."""

from __future__ import annotations

import re
import secrets

from tests.admin.console import console_login, form_post


def _rp_form(**over):
    data = {"name": "公积金查询", "department": "市住房公积金中心",
            "redirect_uris": f"https://gjj-{secrets.token_hex(3)}.weifang.example/cb",
            "grant_types": ["authorization_code", "refresh_token"], "scope": ["openid", "profile"],
            "allowed_user_types": ["natural"], "min_acr_level": "1", "token_endpoint_auth_method": "client_secret_basic",
            "subject_type": "pairwise", "id_token_signed_response_alg": "RS256",
            "basis_phone_number": "consent", "purpose_phone_number": "办理提取业务时短信通知"}
    data.update(over)
    return data


def test_create_a_relying_party_in_the_console(aclient, make, clock, asvc):
    console_login(aclient, make("system"), clock)
    r = form_post(aclient, "/admin/relying-parties/new", "/admin/relying-parties/new", _rp_form())
    html = r.get_data(as_text=True)
    client_id = re.search(r'id="client-id">([^<]+)<', html).group(1)
    secret = re.search(r'id="client-secret">([^<]+)<', html).group(1)
    rp = asvc.clients.get(client_id)
    assert rp.check_client_secret(secret) and rp.allowed_user_types == ("natural",) and rp.min_acr_level == 1
    assert rp.release_policy == {"phone_number": {"basis": "consent", "purpose": "办理提取业务时短信通知"}}
    listing = aclient.get("/admin/relying-parties?department=市住房公积金中心").get_data(as_text=True)
    assert client_id in listing
    assert secret not in aclient.get(f"/admin/relying-parties/{client_id}").get_data(as_text=True)


def test_invalid_registration_is_shown_with_its_problems(aclient, make, clock):
    console_login(aclient, make("system"), clock)
    r = form_post(aclient, "/admin/relying-parties/new", "/admin/relying-parties/new",
                  _rp_form(redirect_uris="http://portal.weifang.example/cb\nhttps://*.weifang.example/x"))
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "请修改以下问题" in html and "https" in html and "wildcards" in html


def test_concurrent_edits_do_not_silently_overwrite(aclient, make, clock, asvc):
    admin = make("system")
    console_login(aclient, admin, clock)
    rp, _ = asvc.clients.create(name="并发编辑", department="市大数据局", redirect_uris=["https://c.weifang.example/cb"])
    edit = f"/admin/relying-parties/{rp.client_id}/edit"
    page_a = aclient.get(edit).get_data(as_text=True)
    other = aclient.application.test_client()
    console_login(other, make("system"), clock)
    r = form_post(other, edit, edit, _rp_form(name="B 的修改", version="1", redirect_uris="https://c.weifang.example/cb"))
    assert r.status_code == 302
    token = re.search(r'name="csrf_token" value="([^"]+)"', page_a).group(1)
    r = aclient.post(edit, data={**_rp_form(name="A 的修改", redirect_uris="https://c.weifang.example/cb"),
                                 "version": "1", "csrf_token": token})
    assert r.status_code == 409 and "该应用已被他人修改" in r.get_data(as_text=True)
    assert 'name="version" value="2"' in r.get_data(as_text=True) and "B 的修改" in r.get_data(as_text=True)
    assert asvc.clients.find(rp.client_id).name == "B 的修改"


def test_disable_and_enable_in_the_console(aclient, make, clock, asvc):
    console_login(aclient, make("system"), clock)
    rp, _ = asvc.clients.create(name="停用测试", redirect_uris=["https://d.weifang.example/cb"])
    detail = f"/admin/relying-parties/{rp.client_id}"
    form_post(aclient, detail, f"{detail}/enabled", {"enabled": "0"})
    assert asvc.clients.get(rp.client_id) is None
    form_post(aclient, detail, f"{detail}/enabled", {"enabled": "1"})
    assert asvc.clients.get(rp.client_id) is not None


def test_csrf_is_refused_on_every_console_form(aclient, make, clock, asvc, admin_app):
    """Every POST route of the console, sent without a CSRF token by a signed-in admin, is refused."""
    rp, _ = asvc.clients.create(name="CSRF", redirect_uris=["https://csrf.weifang.example/cb"])
    user = make(None, enrol=False)
    from gateway.admin import ops_requests

    req = ops_requests.submit(asvc, user["user_id"], "x", {"name": "CSRF 申请",
                                                          "redirect_uris": ["https://q.weifang.example/cb"]})
    values = {"client_id": rp.client_id, "user_id": user["user_id"], "request_id": req.id, "action": "lock"}
    posts = [r for r in admin_app.url_map.iter_rules() if r.endpoint.startswith("admin.") and "POST" in r.methods]
    assert len(posts) >= 14
    roles = {"rp_": "system", "keys": "system", "request": "system", "user_": "security", "audit": "audit"}
    for rule in posts:
        role = next((v for k, v in roles.items() if rule.endpoint[6:].startswith(k)), "system")
        client = admin_app.test_client()
        console_login(client, make(role), clock)
        url = rule.build(values, append_unknown=False)[1]
        r = client.post(url, data={"enabled": "0", "decision": "approve", "code": "123456", "name": "x"})
        assert r.status_code == 400, (rule.endpoint, r.status_code)
        assert "表单已失效" in r.get_data(as_text=True)
    assert asvc.clients.get(rp.client_id) is not None  # nothing happened
    assert [r.status for r in ops_requests.mine(asvc, user["user_id"])] == ["pending"]


def test_security_admin_console_shows_masked_ids_only(aclient, make, clock, asvc):
    from gateway.federation.base import Identity

    full = "370702198001011237"
    user_id, _ = asvc.identities.link(Identity(connector="provincial", upstream_id="u-" + secrets.token_hex(4),
                                               claims={"name": "李四", "cn_id_number": full}, auth_time=0,
                                               amr=("pwd",), acr="2", user_type="natural"))
    console_login(aclient, make("security"), clock)
    html = aclient.get("/admin/users?q=李四").get_data(as_text=True)
    assert user_id in html and full not in html
    detail = aclient.get(f"/admin/users/{user_id}").get_data(as_text=True)
    assert "370702********1237" in detail and full not in detail
