"""Console sign-in with password + TOTP, separation of duties, idle timeout, re-authentication."""

from __future__ import annotations

from tests.admin.conftest import next_code, totp_now
from tests.admin.console import console_login, form_post


def test_password_alone_does_not_open_the_console(aclient, make):
    admin = make("system")
    r = form_post(aclient, "/admin/login", "/admin/login", {"username": admin["username"],
                                                             "password": admin["password"]})
    assert r.headers["Location"].endswith("/admin/mfa")
    assert aclient.get("/admin/").headers["Location"].endswith("/admin/login")
    assert aclient.get("/admin/relying-parties").status_code == 302


def test_wrong_totp_is_refused_and_a_used_code_cannot_be_replayed(aclient, make, clock):
    admin = make("system")
    form_post(aclient, "/admin/login", "/admin/login", {"username": admin["username"], "password": admin["password"]})
    r = form_post(aclient, "/admin/mfa", "/admin/mfa", {"code": "000000"}, follow=True)
    assert "动态验证码错误" in r.get_data(as_text=True)
    code = next_code(admin, clock)
    assert form_post(aclient, "/admin/mfa", "/admin/mfa", {"code": code}).headers["Location"].endswith("/admin/")
    other = aclient.application.test_client()
    form_post(other, "/admin/login", "/admin/login", {"username": admin["username"], "password": admin["password"]})
    r = form_post(other, "/admin/mfa", "/admin/mfa", {"code": code})
    assert not r.headers["Location"].endswith("/admin/")


def test_enrolment_shows_a_qr_code_and_recovery_codes_once(aclient, make, clock):
    admin = make("audit", enrol=False)
    r = form_post(aclient, "/admin/login", "/admin/login", {"username": admin["username"], "password": admin["password"]})
    assert aclient.get("/admin/mfa").headers["Location"].endswith("/admin/mfa/enrol")
    page = aclient.get("/admin/mfa/enrol").get_data(as_text=True)
    assert 'src="data:image/svg+xml' in page
    import re

    secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', page).group(1)
    clock.advance(30)
    r = form_post(aclient, "/admin/mfa/enrol", "/admin/mfa/enrol", {"code": totp_now(secret, clock())})
    codes = re.findall(r"<code>([0-9a-f]{8}-[0-9a-f]{8})</code>", r.get_data(as_text=True))
    assert len(codes) == 10
    assert aclient.get("/admin/audit").status_code == 200
    # A recovery code works once, in place of a TOTP code; stored only hashed.
    from gateway.admin.models import AdminMfa

    svc = aclient.application.extensions["gateway"]
    with svc.db.session() as s:
        row = s.get(AdminMfa, admin["user_id"])
        assert codes[0] not in str(row.recovery_hashes) and secret not in row.secret_enc
    for attempt in range(2):
        c = aclient.application.test_client()
        form_post(c, "/admin/login", "/admin/login", {"username": admin["username"], "password": admin["password"]})
        r = form_post(c, "/admin/mfa", "/admin/mfa", {"code": codes[0]})
        assert r.headers["Location"].endswith("/admin/") == (attempt == 0)


def test_each_role_sees_only_its_own_part(aclient, make, clock):
    pages = {"system": ["/admin/relying-parties", "/admin/requests", "/admin/keys", "/admin/relying-parties/new"],
             "security": ["/admin/users"], "audit": ["/admin/audit"]}
    for role in pages:
        client = aclient.application.test_client()
        console_login(client, make(role), clock)
        assert client.get("/admin/").status_code == 200
        for other, urls in pages.items():
            for url in urls:
                status = client.get(url).status_code
                assert status == (200 if other == role else 403), (role, url, status)


def test_an_account_with_two_admin_roles_is_refused(aclient, make):
    admin = make(None, enrol=False, roles=("system_admin", "audit_admin"))
    r = form_post(aclient, "/admin/login", "/admin/login", {"username": admin["username"],
                                                             "password": admin["password"]}, follow=True)
    assert "三员分立" in r.get_data(as_text=True)
    assert aclient.get("/admin/mfa").headers["Location"].endswith("/admin/login")


def test_a_user_without_admin_role_gets_no_console(aclient, make):
    user = make(None, enrol=False)
    r = form_post(aclient, "/admin/login", "/admin/login", {"username": user["username"], "password": user["password"]})
    assert r.status_code == 403


def test_idle_admin_session_ends_after_15_minutes(aclient, make, clock, asvc):
    admin = make("security")
    console_login(aclient, admin, clock)
    assert aclient.get("/admin/users").status_code == 200
    clock.advance(asvc.settings.admin.idle_timeout - 60)
    assert aclient.get("/admin/users").status_code == 200  # activity moves the deadline
    clock.advance(asvc.settings.admin.idle_timeout + 1)
    r = aclient.get("/admin/users")
    assert r.status_code == 302 and r.headers["Location"].endswith("/admin/login")
    assert asvc.sso.for_user(admin["user_id"]) == []  # the whole session ended


def test_secret_rotation_needs_reauthentication_within_5_minutes(aclient, make, clock, asvc):
    admin = make("system")
    console_login(aclient, admin, clock)
    rp, _ = asvc.clients.create(name="再认证测试", redirect_uris=["https://a.weifang.example/cb"])
    detail = f"/admin/relying-parties/{rp.client_id}"
    clock.advance(asvc.settings.admin.reauth_window + 1)
    r = form_post(aclient, detail, f"{detail}/rotate-secret", {})
    assert r.status_code == 302 and "/admin/reauth" in r.headers["Location"]
    assert asvc.clients.find(rp.client_id).secret_hash == rp.secret_hash
    r = form_post(aclient, "/admin/reauth", "/admin/reauth",
                  {"password": "wrong", "code": next_code(admin, clock), "next": detail}, follow=True)
    assert "密码或动态验证码错误" in r.get_data(as_text=True)
    r = form_post(aclient, "/admin/reauth", "/admin/reauth",
                  {"password": admin["password"], "code": next_code(admin, clock), "next": detail})
    assert r.headers["Location"].endswith(detail)
    r = form_post(aclient, detail, f"{detail}/rotate-secret", {})
    assert r.status_code == 200 and 'id="client-secret"' in r.get_data(as_text=True)
    assert asvc.clients.find(rp.client_id).secret_hash != rp.secret_hash
    # key rotation is under the same rule
    clock.advance(asvc.settings.admin.reauth_window + 1)
    before = len(asvc.keys.listing())
    r = form_post(aclient, "/admin/keys", "/admin/keys/rotate", {})
    assert "/admin/reauth" in r.headers["Location"] and len(asvc.keys.listing()) == before


def test_logout_ends_the_admin_session(aclient, make, clock, asvc):
    admin = make("audit")
    console_login(aclient, admin, clock)
    form_post(aclient, "/admin/", "/admin/logout", {})
    assert aclient.get("/admin/audit").status_code == 302
    assert asvc.sso.for_user(admin["user_id"]) == []
