"""Browser leg: login, SSO, unit choice, level raise, and refusals without redirects."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from tests.simulator.sim_helpers import (BDC_BACK, GATEWAY_BACK, QYKB_BACK, ZWFW_BACK, error_code, is_page,
                                         ticket_from)


def test_natural_person_login_ticket_token_userinfo(browser, provincial, make_client):
    resp = browser.login("WFTYSFRZ", GATEWAY_BACK, "zhangsan01")
    assert "JIS_TGC" in browser.http.cookies
    ticket = ticket_from(resp, GATEWAY_BACK)
    assert ticket.startswith("ST-") and len(ticket) >= 23
    info = make_client(provincial).exchange_ticket(ticket, GATEWAY_BACK)
    assert info["userType"] == "1" and info["loginName"] == "zhangsan01" and info["name"] == "张三"
    assert info["idNumber"] == "370702199003071230"
    assert info["idNumberMasked"] == "370702********1230"
    assert info["mobile"] == "13800000000" and info["mobileMasked"] == "138****0000"
    assert info["authLevel"] == "3" and info["authLevelName"] == "高级"
    assert info["authMethods"] == ["pwd", "sms"] and info["accountRole"] == "0"
    assert info["sessionIndex"].startswith("SID-") and info["token"].startswith("TK-")
    assert len(info["certKey"]) == 64 and "corp" not in info


def test_back_url_with_query_gets_ticket_appended_with_ampersand(browser):
    resp = browser.login("WFTYSFRZ", GATEWAY_BACK + "?state=abc", "zhangsan01")
    query = parse_qs(urlsplit(resp.headers["Location"]).query)
    assert query["state"] == ["abc"] and query["ticket"][0].startswith("ST-")


def test_attributes_not_granted_are_only_masked(browser, provincial, make_client):
    ticket = ticket_from(browser.login("WFZWFW", ZWFW_BACK, "zhangsan01"), ZWFW_BACK)
    info = make_client(provincial, "WFZWFW").exchange_ticket(ticket, ZWFW_BACK)
    assert "idNumber" not in info and "mobile" not in info and "certKey" not in info
    assert info["idNumberMasked"] == "370702********1230" and info["mobileMasked"] == "138****0000"


def test_wrong_password_shows_the_form_again_with_one_message(browser):
    page = browser.start("WFTYSFRZ", GATEWAY_BACK)
    for login in ("zhangsan01", "nobody"):
        resp = browser.authenticate(page, login, password="wrong")
        assert is_page(resp, "/jis-web/login/password") and "用户名或密码错误" in resp.text
    resp = browser.submit(page, "/jis-web/login/password", loginName="zhangsan01", password="zhangsan01-pw")
    resp = browser.submit(resp, "/jis-web/login/sms", smsCode="000000")
    assert is_page(resp, "/jis-web/login/sms") and "短信验证码错误" in resp.text


def test_legal_person_login_uses_the_default_unit(browser, provincial, make_client):
    ticket = ticket_from(browser.login("WFTYSFRZ", GATEWAY_BACK, "wangwu03", user_type=2), GATEWAY_BACK)
    info = make_client(provincial).exchange_ticket(ticket, GATEWAY_BACK)
    assert info["userType"] == "2" and info["accountRole"] == "1" and info["accountRoleName"] == "法定代表人"
    corp = info["corp"]
    assert corp["uscc"] == "91370705MA3C4F2K26" and corp["corpName"] == "潍坊示例机械有限公司"
    assert corp["authorizedCorpCount"] == 3 and corp["legalPersonIdMasked"] == "370783********0040"


def test_agent_with_several_units_chooses_one(browser, provincial, make_client):
    resp = browser.login("WFTYSFRZ", GATEWAY_BACK, "lisi02", user_type=2)
    assert is_page(resp, "/jis-web/login/corp")
    assert "91370705MA3C4F2K26" in resp.text and "91370700MA3C4F2K2X" in resp.text
    resp = browser.submit(resp, "/jis-web/login/corp", corpId="c-0017")
    info = make_client(provincial).exchange_ticket(ticket_from(resp, GATEWAY_BACK), GATEWAY_BACK)
    assert info["accountRole"] == "3" and info["accountRoleName"] == "经办人"
    assert info["corp"]["uscc"] == "91370705MA3C4F2K26" and info["corp"]["authorizedCorpCount"] == 2


def test_unit_not_authorised_is_refused(browser):
    resp = browser.login("WFTYSFRZ", GATEWAY_BACK, "lisi02", user_type=2)
    resp = browser.submit(resp, "/jis-web/login/corp", corpId="c-0019")
    assert error_code(resp) == "4002" and "Location" not in resp.headers


def test_second_app_is_served_from_the_session_without_login(browser, provincial, make_client):
    first = ticket_from(browser.login("WFTYSFRZ", GATEWAY_BACK, "zhangsan01"), GATEWAY_BACK)
    resp = browser.start("WFZWFW", ZWFW_BACK, path="/jpaas-jis-sso-server/sso/entrance/auth-center")
    second = ticket_from(resp, ZWFW_BACK)
    again = ticket_from(browser.start("WFTYSFRZ", GATEWAY_BACK), GATEWAY_BACK)
    assert len({first, second, again}) == 3
    a = make_client(provincial).exchange_ticket(first, GATEWAY_BACK)
    b = make_client(provincial, "WFZWFW").exchange_ticket(second, ZWFW_BACK)
    assert a["userId"] == b["userId"] and a["sessionIndex"] == b["sessionIndex"]


def test_mobile_entry_logs_in_too(browser):
    resp = browser.login("WFTYSFRZ", GATEWAY_BACK, "zhangsan01", path="/jis-web/login_m", gbTrust="false")
    assert ticket_from(resp, GATEWAY_BACK)


def test_level_raise_from_1_to_3(browser, provincial, make_client):
    resp = browser.login("WFBDC", BDC_BACK, "sunqi05")
    assert is_page(resp, "/jis-web/login/raise-level") and "高级" in resp.text and "初级" in resp.text
    resp = browser.submit(resp, "/jis-web/login/raise-level")
    info = make_client(provincial, "WFBDC", require_app_sign=False).exchange_ticket(
        ticket_from(resp, BDC_BACK), BDC_BACK)
    assert info["authLevel"] == "3" and info["authMethods"] == ["pwd", "sms", "face"]


def test_step_up_requested_by_the_gateway_with_auth_level(browser, provincial, make_client):
    ticket_from(browser.login("WFTYSFRZ", GATEWAY_BACK, "lisi02"), GATEWAY_BACK)  # level 2 session
    resp = browser.start("WFTYSFRZ", GATEWAY_BACK, authLevel="3")
    assert is_page(resp, "/jis-web/login/raise-level")
    resp = browser.submit(resp, "/jis-web/login/raise-level")
    info = make_client(provincial).exchange_ticket(ticket_from(resp, GATEWAY_BACK), GATEWAY_BACK)
    assert info["authLevel"] == "3"


def test_level_raise_refused_when_user_cannot_reach_it(browser):
    resp = browser.login("WFBDC", BDC_BACK, "zhao04")
    resp = browser.submit(resp, "/jis-web/login/raise-level")
    assert resp.status_code == 403 and error_code(resp) == "4001" and "Location" not in resp.headers
    assert f'href="{BDC_BACK}?error=4001"' in resp.text


def test_unregistered_back_url_gets_error_page_and_no_redirect(browser):
    for bad in (ZWFW_BACK + "evil", ZWFW_BACK + "@evil.example", "https://evil.example/sso/callback",
                ZWFW_BACK + "/../../admin", ""):
        resp = browser.start("WFZWFW", bad)
        assert resp.status_code == 400 and error_code(resp) == "1007", bad
        assert "Location" not in resp.headers
    ok = browser.start("WFZWFW", ZWFW_BACK + "/deeper?x=1")
    assert is_page(ok, "/jis-web/login/password")


def test_unknown_or_offline_app_gets_1002(browser):
    assert error_code(browser.start("NOSUCHAPP", ZWFW_BACK)) == "1002"
    assert error_code(browser.start("WFJYZS", "https://jyzs.weifang.example/sso/callback")) == "1002"


def test_user_type_refusals(browser):
    assert error_code(browser.start("WFQYKB", QYKB_BACK, user_type=1)) == "4002"
    assert error_code(browser.start("WFZWFW", ZWFW_BACK, user_type=3)) == "1001"
    resp = browser.login("WFTYSFRZ", GATEWAY_BACK, "zhangsan01", user_type=2)  # no units
    assert error_code(resp) == "4002"


def test_frozen_account_gets_4003(browser):
    assert error_code(browser.login("WFTYSFRZ", GATEWAY_BACK, "qianba07")) == "4003"
