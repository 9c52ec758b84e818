"""Staff log in through the gateway's login page with their directory password, into a portal."""

from __future__ import annotations

import dataclasses

import pytest

from tests.conftest import build_app, make_settings
from tests.helpers import authorize_url, csrf_of, query, redeem
from tests.ldap.directories import rsj_directory, scjg_directory


def _as_toml(d):
    return {k: (list(v) if isinstance(v, tuple) else v) for k, v in dataclasses.asdict(d).items()}


@pytest.fixture(scope="module")
def staff_app(redis_server, slapd_primary, slapd_secondary, tmp_path_factory):
    dirs = [rsj_directory([slapd_primary["uri"]], ca_file=slapd_primary.get("ca_file", "")),
            scjg_directory([slapd_secondary["uri"]])]
    db = tmp_path_factory.mktemp("staffdb") / "g.sqlite"
    settings = make_settings(redis_server["url"][:-1] + "4", f"sqlite:///{db}", "http://127.0.0.1:5000",
                             ldap={"directories": [_as_toml(d) for d in dirs]})
    return build_app(settings)


def _staff_login(client, rp, username, password, directory="", scope="openid profile staff"):
    url, params = authorize_url(rp, scope=scope)
    login = client.get(url).headers["Location"]
    page = client.get(login)
    html = page.get_data(as_text=True)
    assert "工作人员登录" in html and "市人社局" in html
    r = client.post("/login/staff", data={"csrf_token": csrf_of(html), "tx": query(login)["tx"],
                                          "directory": directory, "username": username, "password": password})
    return r, params


def _follow_to_code(client, r, rp):
    for _ in range(4):
        location = r.headers["Location"]
        if location.startswith(rp["redirect_uri"]):
            return query(location)
        r = client.get(location)
    raise AssertionError("no code")


@pytest.fixture
def staff_rp(staff_app):
    svc = staff_app.extensions["gateway"]
    record, secret = svc.clients.create(name="内部办公系统", redirect_uris=["https://oa.weifang.example/cb"],
                                        scope="openid profile email staff", first_party=True,
                                        allowed_user_types=["staff"])
    return {"client_id": record.client_id, "client_secret": secret, "redirect_uri": "https://oa.weifang.example/cb"}


def test_staff_of_two_departments_log_in_and_portal_gets_department_and_groups(staff_app, staff_rp):
    client = staff_app.test_client()
    r, params = _staff_login(client, staff_rp, "zhangwei", "zhangwei-Pw1!", directory="rsj")
    q = _follow_to_code(client, r, staff_rp)
    tokens = redeem(client, staff_rp, q["code"], params).json
    info = client.get("/userinfo", headers={"Authorization": f"Bearer {tokens['access_token']}"}).json
    assert info["name"] == "张伟" and info["cn_user_type"] == "staff"
    assert "gateway-admins" in info["groups"] and info["department_name"] == "市人力资源和社会保障局"

    other = staff_app.test_client()
    r, params = _staff_login(other, staff_rp, "wangfang@scjg", "wangfang-Pw1!")  # user@dept form
    q = _follow_to_code(other, r, staff_rp)
    info = other.get("/userinfo", headers={
        "Authorization": f"Bearer {redeem(other, staff_rp, q['code'], params).json['access_token']}"}).json
    assert info["department_name"] == "市市场监督管理局" and "scjg-staff" in info["groups"]


@pytest.mark.parametrize("username,password", [
    ("zhangwei", "wrong"), ("nobody", "whatever-Pw1!"), ("zhangwei", ""),
    ("*", "x"), ("*)(uid=*))(|(uid=*", "x"), ("admin)(|(objectClass=*)", "x"),
])
def test_refused_staff_logins_look_the_same(staff_app, staff_rp, username, password):
    client = staff_app.test_client()
    r, _ = _staff_login(client, staff_rp, username, password, directory="rsj")
    assert r.status_code == 302 and "/login" in r.headers["Location"]
    page = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "用户名或密码错误" in page
    assert client.get_cookie("gw_session") is None or "principal" not in str(client.get_cookie("gw_session"))


def test_locked_directory_account_is_refused(staff_app, staff_rp):
    client = staff_app.test_client()
    r, _ = _staff_login(client, staff_rp, "liuyang", "liuyang-Pw1!", directory="scjg")
    assert "该账号已在部门目录中停用" in client.get(r.headers["Location"]).get_data(as_text=True)


def test_repeated_failures_lock_the_staff_account(staff_app, staff_rp):
    client = staff_app.test_client()
    for _ in range(5):
        _staff_login(client, staff_rp, "lina", "wrong-password", directory="rsj")
    r, _ = _staff_login(client, staff_rp, "lina", "lina-Pw1!", directory="rsj")
    assert "/login" in r.headers["Location"]  # locked: the right password is refused too, same message
    staff_app.extensions["gateway"].lockout.unlock("ldap:rsj:lina")
    r, _ = _staff_login(client, staff_rp, "lina", "lina-Pw1!", directory="rsj")
    assert "/login" not in r.headers["Location"]


def test_citizen_only_portal_refuses_staff(staff_app):
    svc = staff_app.extensions["gateway"]
    record, secret = svc.clients.create(name="市民门户", redirect_uris=["https://c.weifang.example/cb"],
                                        first_party=True, allowed_user_types=["natural", "legal"])
    rp = {"client_id": record.client_id, "client_secret": secret, "redirect_uri": "https://c.weifang.example/cb"}
    client = staff_app.test_client()
    r, params = _staff_login(client, rp, "zhangwei", "zhangwei-Pw1!", directory="rsj")
    r = client.get(r.headers["Location"])
    q = query(r.headers["Location"])
    assert q["error"] == "access_denied"


def test_ldap_test_cli_never_prints_the_password(staff_app):
    result = staff_app.test_cli_runner().invoke(args=["ldap", "test", "rsj", "--username", "zhangwei"])
    assert result.exit_code == 0, result.output
    assert "gateway-svc-Pw1!" not in result.output and "zhangwei" in result.output
    result = staff_app.test_cli_runner().invoke(args=["ldap", "test", "nope"])
    assert result.exit_code == 2


def test_a_user_locked_by_an_admin_cannot_come_back_through_the_directory(staff_app, staff_rp):
    from sqlalchemy import select

    from gateway.account.models import FederatedIdentity, User

    svc = staff_app.extensions["gateway"]
    client = staff_app.test_client()
    r, _ = _staff_login(client, staff_rp, "wangfang", "wangfang-Pw1!", directory="scjg")
    _follow_to_code(client, r, staff_rp)
    with svc.db.session() as s:
        fi = s.scalar(select(FederatedIdentity).where(FederatedIdentity.connector == "ldap:scjg"))
        s.get(User, fi.user_id).disabled = True
    try:
        again = staff_app.test_client()
        r, _ = _staff_login(again, staff_rp, "wangfang", "wangfang-Pw1!", directory="scjg")
        assert "/login" in r.headers["Location"]
        assert "管理员锁定" in again.get(r.headers["Location"]).get_data(as_text=True)
    finally:
        with svc.db.session() as s:
            s.get(User, fi.user_id).disabled = False
