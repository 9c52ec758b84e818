"""Admin roles from department directory groups (ldap role_groups -> account role -> admin role);
staff directory logins reach the registration-request page as developers."""

from __future__ import annotations

import dataclasses
import re

import pytest

from tests.admin.conftest import Clock, totp_now
from tests.admin.console import form_post
from tests.conftest import build_app, make_settings
from tests.ldap.conftest import slapd_primary  # noqa: F401 - the real directory fixture
from tests.ldap.directories import rsj_directory


@pytest.fixture(scope="module")
def dir_clock():
    return Clock()


@pytest.fixture(scope="module")
def dir_app(redis_server, slapd_primary, tmp_path_factory, dir_clock):  # noqa: F811
    directory = rsj_directory([slapd_primary["uri"]], ca_file=slapd_primary.get("ca_file", ""),
                              role_groups={"gateway-admins": "security_admin", "rsj-staff": "staff"})
    as_toml = {k: (list(v) if isinstance(v, tuple) else v) for k, v in dataclasses.asdict(directory).items()}
    settings = make_settings(redis_server["url"][:-1] + "7",
                             f"sqlite:///{tmp_path_factory.mktemp('dir-admin') / 'g.sqlite'}",
                             "http://127.0.0.1:5000", ldap={"directories": [as_toml]})
    app = build_app(settings, clock=dir_clock)
    yield app
    app.extensions["gateway"].audit.stop()


def test_directory_group_grants_the_security_admin_role(dir_app, dir_clock):
    client = dir_app.test_client()
    assert "市人社局" in client.get("/admin/login").get_data(as_text=True)
    r = form_post(client, "/admin/login", "/admin/login",
                  {"directory": "rsj", "username": "zhangwei", "password": "zhangwei-Pw1!"})
    assert r.headers["Location"].endswith("/admin/mfa")
    page = client.get("/admin/mfa/enrol").get_data(as_text=True)
    secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', page).group(1)
    dir_clock.advance(30)
    r = form_post(client, "/admin/mfa/enrol", "/admin/mfa/enrol", {"code": totp_now(secret, dir_clock())})
    assert r.status_code == 200 and "recovery-codes" in r.get_data(as_text=True)
    assert client.get("/admin/users").status_code == 200
    assert client.get("/admin/relying-parties").status_code == 403
    # re-authentication goes back to the same directory account
    dir_clock.advance(30)
    r = form_post(client, "/admin/reauth", "/admin/reauth",
                  {"password": "zhangwei-Pw1!", "code": totp_now(secret, dir_clock()), "next": "/admin/users"})
    assert r.headers["Location"].endswith("/admin/users")


def test_staff_without_admin_group_are_developers(dir_app):
    client = dir_app.test_client()
    r = form_post(client, "/admin/login", "/admin/login", {"directory": "rsj", "username": "lina",
                                                            "password": "lina-Pw1!"})
    assert r.headers["Location"].endswith("/admin/my/requests"), r.headers.get("Location")
    r = form_post(client, "/admin/my/requests", "/admin/my/requests", {
        "name": "社保待遇资格认证", "department": "市人社局", "redirect_uris": "https://dyzg.weifang.example/cb",
        "grant_types": ["authorization_code", "refresh_token"], "scope": ["openid", "profile"],
        "allowed_user_types": ["natural"], "min_acr_level": "2", "token_endpoint_auth_method": "client_secret_basic"},
        follow=True)
    assert "社保待遇资格认证" in r.get_data(as_text=True) and "待审批" in r.get_data(as_text=True)
    assert client.get("/admin/").headers["Location"].endswith("/admin/login")  # no console for developers


def test_a_locked_directory_account_cannot_sign_in_to_the_console(dir_app):
    from sqlalchemy import select

    from gateway.account.models import FederatedIdentity, User

    svc = dir_app.extensions["gateway"]
    client = dir_app.test_client()
    form_post(client, "/admin/login", "/admin/login", {"directory": "rsj", "username": "lina", "password": "lina-Pw1!"})
    with svc.db.session() as s:
        user = s.scalar(select(User).join(FederatedIdentity, FederatedIdentity.user_id == User.id)
                        .where(FederatedIdentity.connector == "ldap:rsj", User.name != "")
                        .order_by(FederatedIdentity.updated_at.desc()))
        user.disabled = True
    try:
        other = dir_app.test_client()
        r = form_post(other, "/admin/login", "/admin/login", {"directory": "rsj", "username": "lina",
                                                               "password": "lina-Pw1!"}, follow=True)
        assert "用户名或密码错误" in r.get_data(as_text=True)
    finally:
        with svc.db.session() as s:
            s.get(User, user.id).disabled = False
