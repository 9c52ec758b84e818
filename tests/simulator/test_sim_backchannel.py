"""Server-to-server calls: signature, timestamp, nonce, IP whitelist, appSign, ticket and token rules."""

from __future__ import annotations

import secrets
import time

import pytest
import requests

from gateway.federation.base import ConnectorError
from gateway.federation.provincial_client import sign_params
from tests.simulator.sim_helpers import BDC_BACK, GATEWAY_BACK, ZWFW_BACK, Browser, ticket_from

IFACE = "/jpaas-jis-sso-server/sso/interface/"


def raw_call(server, interface, app_mark, word, params=None, *, timestamp=None, nonce=None, tamper=False):
    form = {"appMark": app_mark, "timestamp": str(timestamp or int(time.time() * 1000)),
            "nonce": nonce or secrets.token_hex(16), **(params or {})}
    form["sign"] = sign_params(form, word)
    if tamper:
        form["sign"] = form["sign"][:-1] + ("0" if form["sign"][-1] != "0" else "1")
    resp = requests.post(server["base_url"] + IFACE + interface, data=form, timeout=10)
    assert resp.status_code == 200  # always 200; the code is in the body
    return resp.json()


@pytest.fixture
def word(test_seed):
    return lambda mark: next(a["appWord"] for a in test_seed["apps"] if a["appMark"] == mark)


def test_get_sign_returns_app_sign(provincial, word):
    body = raw_call(provincial, "getSign", "WFZWFW", word("WFZWFW"))
    assert body["code"] == "0" and body["msg"] == "成功"
    assert body["data"]["appSign"].startswith("AS-") and body["data"]["expiresIn"] == 7200


def test_tampered_signature_1003(provincial, word):
    body = raw_call(provincial, "getSign", "WFZWFW", word("WFZWFW"), tamper=True)
    assert body == {"code": "1003", "msg": "签名校验失败", "data": {}}
    assert raw_call(provincial, "getSign", "WFZWFW", "wrong-appword-123456")["code"] == "1003"


def test_non_ascii_input_is_a_refusal_not_a_crash(provincial, word, browser):
    form = {"appMark": "WFZWFW", "timestamp": str(int(time.time() * 1000)), "nonce": secrets.token_hex(8),
            "sign": "签名"}
    resp = requests.post(provincial["base_url"] + IFACE + "getSign", data=form, timeout=10)
    assert resp.status_code == 200 and resp.json()["code"] == "1003"
    page = browser.start("WFTYSFRZ", GATEWAY_BACK)
    resp = browser.submit(page, "/jis-web/login/password", csrf="令牌", loginName="zhangsan01",
                          password="zhangsan01-pw")
    assert resp.status_code == 400 and "1001" in resp.text


def test_stale_timestamp_1004(provincial, word):
    old = int((time.time() - 301) * 1000)
    assert raw_call(provincial, "getSign", "WFZWFW", word("WFZWFW"), timestamp=old)["code"] == "1004"
    future = int((time.time() + 301) * 1000)
    assert raw_call(provincial, "getSign", "WFZWFW", word("WFZWFW"), timestamp=future)["code"] == "1004"


def test_replayed_nonce_1006(provincial, word):
    nonce = secrets.token_hex(8)
    assert raw_call(provincial, "getSign", "WFZWFW", word("WFZWFW"), nonce=nonce)["code"] == "0"
    assert raw_call(provincial, "getSign", "WFZWFW", word("WFZWFW"), nonce=nonce)["code"] == "1006"


def test_forged_call_does_not_burn_the_nonce(provincial, word):
    nonce = secrets.token_hex(8)
    assert raw_call(provincial, "getSign", "WFZWFW", word("WFZWFW"), nonce=nonce, tamper=True)["code"] == "1003"
    assert raw_call(provincial, "getSign", "WFZWFW", word("WFZWFW"), nonce=nonce)["code"] == "0"


def test_caller_ip_not_whitelisted_1005(provincial, word, make_client):
    assert raw_call(provincial, "getSign", "WFIPDENY", word("WFIPDENY"))["code"] == "1005"
    with pytest.raises(ConnectorError) as err:
        make_client(provincial, "WFIPDENY").app_sign()
    assert err.value.user_message == "provincial.refused" and "1005" in err.value.reason


def test_missing_parameters_and_unknown_app(provincial, word):
    assert raw_call(provincial, "ticketToToken", "WFZWFW", word("WFZWFW"))["code"] == "1001"
    assert raw_call(provincial, "getSign", "WFZWFW", word("WFZWFW"), nonce="short")["code"] == "1001"
    assert raw_call(provincial, "getSign", "NOSUCHAPP", word("WFZWFW"))["code"] == "1002"
    assert raw_call(provincial, "getSign", "WFJYZS", "wfjyzs-demo-appword-change-me-000005")["code"] == "1002"


def test_app_sign_required_1008(provincial, word):
    body = raw_call(provincial, "ticketToToken", "WFZWFW", word("WFZWFW"), {"ticket": "ST-x"})
    assert body["code"] == "1008"
    body = raw_call(provincial, "ticketToToken", "WFZWFW", word("WFZWFW"), {"ticket": "ST-x", "appSign": "AS-forged"})
    assert body["code"] == "1008"


def test_app_sign_of_another_app_is_refused(provincial, word):
    other = raw_call(provincial, "getSign", "WFTYSFRZ", word("WFTYSFRZ"))["data"]["appSign"]
    body = raw_call(provincial, "ticketToToken", "WFZWFW", word("WFZWFW"), {"ticket": "ST-x", "appSign": other})
    assert body["code"] == "1008"


def test_client_renews_a_rejected_cached_app_sign(provincial, browser, make_client):
    client = make_client(provincial)
    client.app_sign()
    requests.post(provincial["base_url"] + "/__sim__/reset", timeout=5)  # province forgets every appSign
    browser.http.cookies.clear()
    ticket = ticket_from(browser.login("WFTYSFRZ", GATEWAY_BACK, "zhangsan01"), GATEWAY_BACK)
    assert client.exchange_ticket(ticket, GATEWAY_BACK)["loginName"] == "zhangsan01"


def test_unknown_ticket_2001(provincial, make_client):
    with pytest.raises(ConnectorError) as err:
        make_client(provincial).exchange_ticket("ST-doesnotexist", GATEWAY_BACK)
    assert err.value.user_message == "provincial.ticket_invalid" and "2001" in err.value.reason


def test_reused_ticket_2003(browser, provincial, make_client):
    client = make_client(provincial)
    ticket = ticket_from(browser.login("WFTYSFRZ", GATEWAY_BACK, "zhangsan01"), GATEWAY_BACK)
    client.exchange_ticket(ticket, GATEWAY_BACK)
    with pytest.raises(ConnectorError) as err:
        client.exchange_ticket(ticket, GATEWAY_BACK)
    assert "2003" in err.value.reason


def test_ticket_for_another_app_2004(browser, provincial, make_client):
    ticket = ticket_from(browser.login("WFZWFW", ZWFW_BACK, "zhangsan01"), ZWFW_BACK)
    with pytest.raises(ConnectorError) as err:
        make_client(provincial).exchange_ticket(ticket, ZWFW_BACK)
    assert "2004" in err.value.reason
    # the rightful app can still redeem it: the failed attempt did not consume it
    assert make_client(provincial, "WFZWFW").exchange_ticket(ticket, ZWFW_BACK)["userType"] == "1"


def test_ticket_bound_to_its_back_url_2004(browser, provincial, make_client):
    ticket = ticket_from(browser.login("WFTYSFRZ", GATEWAY_BACK, "zhangsan01"), GATEWAY_BACK)
    with pytest.raises(ConnectorError) as err:
        make_client(provincial).exchange_ticket(ticket, GATEWAY_BACK + "/other")
    assert "2004" in err.value.reason


def test_app_without_required_app_sign(browser, provincial, make_client):
    browser.login("WFTYSFRZ", GATEWAY_BACK, "zhangsan01")
    ticket = ticket_from(browser.start("WFBDC", BDC_BACK), BDC_BACK)
    client = make_client(provincial, "WFBDC", require_app_sign=False)
    assert client.exchange_ticket(ticket, BDC_BACK)["idNumber"] == "370702199003071230"


def test_expired_ticket_2002(short_lived_server, make_client):
    requests.post(short_lived_server["base_url"] + "/__sim__/reset", timeout=5)
    browser = Browser(short_lived_server["base_url"])
    ticket = ticket_from(browser.login("WFTYSFRZ", GATEWAY_BACK, "zhangsan01"), GATEWAY_BACK)
    client = make_client(short_lived_server)
    client.app_sign()
    time.sleep(1.2)  # the ticket lives 1 s here
    with pytest.raises(ConnectorError) as err:
        client.exchange_ticket(ticket, GATEWAY_BACK)
    assert "2002" in err.value.reason


def test_expired_token_3001(short_lived_server, make_client):
    browser = Browser(short_lived_server["base_url"])
    ticket = ticket_from(browser.login("WFTYSFRZ", GATEWAY_BACK, "zhangsan01"), GATEWAY_BACK)
    client = make_client(short_lived_server)
    token = client.exchange_ticket(ticket, GATEWAY_BACK)["token"]
    # Polling would keep the sliding token alive, so wait out its 1 s lifetime once.
    time.sleep(1.2)
    with pytest.raises(ConnectorError) as err:
        client.get_user_info(token)
    assert "3001" in err.value.reason and err.value.user_message == "provincial.session_ended"


def test_token_slides_while_used(short_lived_server, make_client):
    browser = Browser(short_lived_server["base_url"])
    ticket = ticket_from(browser.login("WFTYSFRZ", GATEWAY_BACK, "zhangsan01"), GATEWAY_BACK)
    client = make_client(short_lived_server)
    token = client.exchange_ticket(ticket, GATEWAY_BACK)["token"]
    deadline = time.monotonic() + 1.5
    while time.monotonic() < deadline:  # each call extends the 1 s lifetime
        assert client.get_user_info(token)["loginName"] == "zhangsan01"
        time.sleep(0.2)


def test_codes_endpoint_lists_d1_d2_d3(provincial):
    body = requests.get(provincial["base_url"] + IFACE + "codes", timeout=5).json()
    data = body["data"]
    assert body["code"] == "0" and data["returnCodes"]["2003"] == "票据已使用"
    assert data["authLevels"] == {"0": "未实名", "1": "初级", "2": "中级", "3": "高级"}
    assert data["accountRoles"]["3"] == "经办人" and len(data["returnCodes"]) == 19


def test_client_reuses_one_pooled_connection(browser, provincial, make_client):
    client = make_client(provincial)
    for _ in range(3):
        browser.http.cookies.clear()
        client.exchange_ticket(ticket_from(browser.login("WFTYSFRZ", GATEWAY_BACK, "zhangsan01"), GATEWAY_BACK),
                               GATEWAY_BACK)
    pools = client.http.get_adapter(provincial["base_url"]).poolmanager.pools
    keys = list(pools.keys())
    assert len(keys) == 1
    assert pools[keys[0]].num_connections == 1  # keep-alive: every call went over the same connection
