"""The console in real headless Chromium (Debian's /usr/bin/chromium driven by Playwright)."""

from __future__ import annotations

import base64
import os
import secrets
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests

from tests.admin.conftest import make_admin, next_code, totp_now
from tests.conftest import need
from tests.helpers import pkce_pair

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]


@pytest.fixture(scope="module")
def browser():
    need(os.path.exists(CHROMIUM), "chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield b
        b.close()


@pytest.fixture
def page_of(browser):
    contexts = []

    def new():
        ctx = browser.new_context(locale="zh-CN")
        ctx.set_default_timeout(15000)
        contexts.append(ctx)
        return ctx.new_page()

    yield new
    for ctx in contexts:
        ctx.close()


def sign_in(page, base, admin, clock):
    page.goto(base + "/admin/login")
    page.fill("input[name=username]", admin["username"])
    page.fill("input[name=password]", admin["password"])
    page.click("#login")
    page.wait_for_url("**/admin/mfa")
    page.fill("input[name=code]", next_code(admin, clock))
    page.click("#verify")
    page.wait_for_url("**/admin/")


def local_login(page, user):
    """The gateway's own login page: open the local-account section unless it is open already."""
    if not page.locator("details").evaluate("d => d.open"):
        page.click("details summary")
    page.fill("details input[name=username]", user["username"])
    page.fill("details input[name=password]", user["password"])
    page.click("details button.primary")


def token(base, client_id, secret, scope=""):
    return requests.post(base + "/token", data={"grant_type": "client_credentials", "scope": scope},
                         auth=(client_id, secret), timeout=10)


def test_admin_enrols_totp_from_the_qr_page_and_signs_in(live_admin, admin_app, clock, page_of):
    admin = make_admin(admin_app, clock, "audit", enrol=False)
    page = page_of()
    page.goto(live_admin + "/admin/login")
    page.fill("input[name=username]", admin["username"])
    page.fill("input[name=password]", admin["password"])
    page.click("#login")
    page.wait_for_url("**/admin/mfa/enrol")
    assert page.locator("img.qr").evaluate("img => img.naturalWidth > 0")  # the QR code renders under the CSP
    secret = page.inner_text("#totp-secret").strip()
    clock.advance(30)
    page.fill("input[name=code]", totp_now(secret, clock()))
    page.click("#confirm")
    assert page.locator("#recovery-codes li").count() == 10
    page.click("#continue")
    page.wait_for_url("**/admin/")
    assert page.locator("text=审计管理员").count() >= 1
    page.click("text=审计日志")
    page.wait_for_url("**/admin/audit")
    page.click("#verify-chain")
    assert "校验通过" in page.inner_text("#verify-result")


def test_relying_party_created_in_the_console_works_in_a_real_login(live_admin, admin_app, clock, page_of):
    svc = admin_app.extensions["gateway"]
    admin = make_admin(admin_app, clock, "system")
    page = page_of()
    sign_in(page, live_admin, admin, clock)
    page.click("text=接入应用")
    page.click("#new-rp")
    redirect_uri = f"https://portal-{secrets.token_hex(3)}.weifang.example/callback"
    page.fill("input[name=name]", "浏览器测试门户")
    page.fill("input[name=department]", "市大数据局")
    page.fill("textarea[name=redirect_uris]", redirect_uri)
    page.check("input[name=scope][value=profile]")
    page.select_option("select[name=basis_name]", "consent")
    page.fill("input[name=purpose_name]", "在门户上显示您的姓名")
    page.click("#save")
    client_id = page.inner_text("#client-id").strip()
    secret = page.inner_text("#client-secret").strip()

    user = {"username": "citizen-" + secrets.token_hex(3), "password": "Pw-" + secrets.token_hex(8)}
    svc.accounts.create(user["username"], user["password"], name="王五")
    verifier, challenge = pkce_pair()
    state = secrets.token_urlsafe(8)
    portal = page_of()
    captured = {}
    portal.route(redirect_uri + "**", lambda route: (captured.setdefault("url", route.request.url),
                                                      route.fulfill(status=200, body="portal")))
    portal.goto(live_admin + "/authorize?" + urlencode({
        "response_type": "code", "client_id": client_id, "redirect_uri": redirect_uri, "scope": "openid profile",
        "state": state, "nonce": "n-" + state, "code_challenge": challenge, "code_challenge_method": "S256"}))
    local_login(portal, user)
    portal.wait_for_selector("text=在门户上显示您的姓名")  # the purpose text set in the console
    portal.click("button[value=allow]")
    portal.wait_for_url(redirect_uri + "**")
    q = parse_qs(urlsplit(captured["url"]).query)
    assert q["state"] == [state]
    r = requests.post(live_admin + "/token", auth=(client_id, secret), timeout=10, data={
        "grant_type": "authorization_code", "code": q["code"][0], "redirect_uri": redirect_uri,
        "code_verifier": verifier})
    assert r.status_code == 200, r.text
    userinfo = requests.get(live_admin + "/userinfo", timeout=10,
                            headers={"Authorization": "Bearer " + r.json()["access_token"]}).json()
    assert userinfo["name"] == "王五"


def test_developer_request_is_approved_and_credentials_are_shown_once(live_admin, admin_app, clock, page_of):
    developer = make_admin(admin_app, clock, None, enrol=False, roles=("developer",))
    dev = page_of()
    dev.goto(live_admin + "/admin/login")
    dev.fill("input[name=username]", developer["username"])
    dev.fill("input[name=password]", developer["password"])
    dev.click("#login")
    dev.wait_for_url("**/admin/my/requests")
    name = "数据共享接口-" + secrets.token_hex(2)
    dev.fill("input[name=name]", name)
    dev.fill("input[name=department]", "市市场监管局")
    dev.uncheck("input[name=grant_types][value=authorization_code]")
    dev.uncheck("input[name=grant_types][value=refresh_token]")
    dev.check("input[name=grant_types][value=client_credentials]")
    dev.click("#submit-request")
    assert dev.locator(f"tr:has-text('{name}') .status").inner_text() == "待审批"

    admin = make_admin(admin_app, clock, "system")
    page = page_of()
    sign_in(page, live_admin, admin, clock)
    page.goto(live_admin + "/admin/requests")
    page.click(f"text={name}")
    page.click("#approve")
    assert page.inner_text("#status") == "approved"
    approver_saw = page.content()

    dev.reload()
    dev.click(f"tr:has-text('{name}') button.primary")
    client_id = dev.inner_text("#client-id").strip()
    secret = dev.inner_text("#client-secret").strip()
    assert token(live_admin, client_id, secret).status_code == 200
    assert client_id in approver_saw and secret not in approver_saw  # the approver never sees the secret
    dev.goto(live_admin + "/admin/my/requests")
    assert dev.locator(f"tr:has-text('{name}') button").count() == 0  # once only


def test_rotating_a_secret_stops_the_old_one(live_admin, admin_app, clock, page_of):
    svc = admin_app.extensions["gateway"]
    rp, old = svc.clients.create(name="轮换测试", grant_types=["client_credentials"], scope="profile")
    assert token(live_admin, rp.client_id, old).status_code == 200
    admin = make_admin(admin_app, clock, "system")
    page = page_of()
    sign_in(page, live_admin, admin, clock)
    page.goto(f"{live_admin}/admin/relying-parties/{rp.client_id}")
    page.click("#rotate-secret")
    new = page.inner_text("#client-secret").strip()
    assert new != old
    assert token(live_admin, rp.client_id, old).status_code == 401
    assert token(live_admin, rp.client_id, new).status_code == 200


def test_locking_a_user_ends_their_sessions(live_admin, admin_app, clock, page_of):
    svc = admin_app.extensions["gateway"]
    user = {"username": "staff-" + secrets.token_hex(3), "password": "Pw-" + secrets.token_hex(8)}
    created = svc.accounts.create(user["username"], user["password"], name="赵六")
    person = page_of()
    person.goto(live_admin + "/login")
    local_login(person, user)
    person.goto(live_admin + "/")
    assert "赵六" in person.content()
    assert len(svc.sso.for_user(created.id)) == 1

    admin = make_admin(admin_app, clock, "security")
    page = page_of()
    sign_in(page, live_admin, admin, clock)
    page.click("text=用户与身份")
    page.fill("input[name=q]", user["username"])
    page.click("button:has-text('查询')")
    page.click("text=赵六")
    assert page.inner_text("#session-count") == "1"
    page.fill("input[name=reason]", "账号疑似被盗")
    page.click("#lock")
    assert page.locator("#locked").count() == 1 and page.inner_text("#session-count") == "0"

    person.goto(live_admin + "/")
    assert "赵六" not in person.content()  # the person's session is gone
    assert svc.sso.for_user(created.id) == []
    person.goto(live_admin + "/login")
    local_login(person, user)
    assert "用户名或密码错误" in person.content()
