"""Single sign-on across the two demo portals, through the gateway and the provincial simulator."""

from __future__ import annotations

from tests.sdk.conftest import cell, portal_login

PROVINCIAL_BUTTON = 'action="/federation/provincial/start"'
PASSWORD_FORM = 'action="/jis-web/login/password"'


def test_citizen_logs_in_to_the_insurance_portal_and_sees_masked_data_and_the_api_record(stack, browser):
    page = portal_login(browser, stack.portals["sbj"], "/my", login="zhangsan01")
    assert page.status_code == 200 and page.url == stack.portals["sbj"] + "/my"
    html = page.text
    assert cell(html, "name") == "张三"
    assert cell(html, "cn_id") == "370702********1230"
    assert cell(html, "phone").startswith("138") and "*" in cell(html, "phone")
    assert "370702199003071230" not in html and "13800000000" not in html  # only masked numbers
    assert cell(html, "level") == "3"
    # the page called the business API with the user's access token
    assert cell(html, "api-caller") == "wf-sbj" and 'id="api-error"' not in html


def test_company_agent_opens_the_insurance_portal_without_a_second_login(stack, browser):
    company = portal_login(browser, stack.portals["qykb"], "/company", login="wangwu03", user_type=2)
    assert company.status_code == 200, company.text[:300]
    assert cell(company.text, "corp-uscc") == "91370705MA3C4F2K26"
    assert cell(company.text, "corp-role") == "法定代表人"
    seen = len(browser.pages)
    # login=None: ChainBrowser fails if the province asks for a password
    page = portal_login(browser, stack.portals["sbj"], "/my")
    assert page.status_code == 200 and cell(page.text, "name") == "王五"
    assert not any(PROVINCIAL_BUTTON in p or PASSWORD_FORM in p for p in browser.pages[seen:])


def test_company_portal_shows_the_unit_and_the_credit_fetched_service_to_service(stack, browser):
    page = portal_login(browser, stack.portals["qykb"], "/company", login="lisi02", user_type=2, corp="c-0017")
    html = page.text
    assert page.status_code == 200, html[:300]
    assert cell(html, "corp-name") == "潍坊示例机械有限公司"
    assert cell(html, "corp-role").startswith("经办人") and "代理办理" in cell(html, "corp-role")
    assert cell(html, "level") == "2"
    assert cell(html, "api-caller") == "wf-qykb"
    assert "A级" in cell(html, "credit") or "B级" in cell(html, "credit")  # from the exchange, via wf-api's token


def test_agent_switches_unit_at_the_gateway_and_the_portal_shows_the_new_one(stack, browser):
    first = portal_login(browser, stack.portals["qykb"], "/company", login="lisi02", user_type=2, corp="c-0017")
    assert cell(first.text, "corp-uscc") == "91370705MA3C4F2K26"
    switch = first.text.split('id="switch" href="')[1].split('"')[0]
    assert switch == f"{stack.issuer}/federation/provincial/switch-corp"
    browser.run(switch, stop_at=f"{stack.issuer}/account", corp="c-0018", max_steps=10)
    again = portal_login(browser, stack.portals["qykb"], "/sso/login?next=/company")  # 切换后刷新
    assert cell(again.text, "corp-uscc") == "91370700MA3C4F2K2X"
    assert cell(again.text, "corp-role") == "管理员（代理办理）"


def test_citizen_is_refused_by_the_company_portal(stack, browser):
    portal_login(browser, stack.portals["sbj"], "/my", login="zhangsan01")
    # The gateway knows qykb admits legal persons only: it asks for a legal-person login instead of SSO.
    r = browser.http.get(stack.portals["qykb"] + "/company", timeout=15)
    assert r.url.startswith(stack.issuer + "/login") and PROVINCIAL_BUTTON in r.text
