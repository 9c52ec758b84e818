"""Single logout with signed back-channel notices, unit switching, and the fault switches."""

from __future__ import annotations

import time

import pytest
import requests

from gateway.federation.base import ConnectorError, UpstreamUnavailable
from gateway.federation.provincial_client import ProvincialClient
from tests.services.provincial import free_port
from tests.simulator.sim_helpers import GATEWAY_BACK, ZWFW_BACK, error_code, is_page, ticket_from
from tests.helpers import wait_until

LOGOUT = "/jpaas-jis-sso-server/sso/logout"


def faults(server, **switches):
    requests.post(server["base_url"] + "/__sim__/faults", json=switches, timeout=5).raise_for_status()


def test_logout_sends_signed_notices_that_the_client_accepts(browser, provincial, receiver, make_client):
    gateway, zwfw = make_client(provincial), make_client(provincial, "WFZWFW")
    info = gateway.exchange_ticket(
        ticket_from(browser.login("WFTYSFRZ", GATEWAY_BACK, "zhangsan01"), GATEWAY_BACK), GATEWAY_BACK)
    zwfw_info = zwfw.exchange_ticket(ticket_from(browser.start("WFZWFW", ZWFW_BACK), ZWFW_BACK), ZWFW_BACK)

    resp = browser.get(LOGOUT, appMark="WFTYSFRZ", backUrl=GATEWAY_BACK + "/logged-out")
    assert resp.status_code == 302 and resp.headers["Location"] == GATEWAY_BACK + "/logged-out"
    posts = receiver.wait_for(lambda p: len(p) >= 2)
    by_path = dict(posts)
    assert set(by_path) == {"/logout/WFTYSFRZ", "/logout/WFZWFW"}

    notice = by_path["/logout/WFTYSFRZ"]
    assert set(notice) == {"sessionIndex", "userId", "timestamp", "nonce", "sign"}
    assert gateway.verify_logout_notice(notice) == {"session_index": info["sessionIndex"], "user_id": info["userId"]}
    with pytest.raises(ConnectorError, match="replayed nonce"):
        gateway.verify_logout_notice(notice)
    with pytest.raises(ConnectorError, match="bad signature"):  # signed with the other app's appWord
        gateway.verify_logout_notice(by_path["/logout/WFZWFW"])
    assert zwfw.verify_logout_notice(by_path["/logout/WFZWFW"], seen_nonce=lambda n: False)["user_id"] == info["userId"]

    # the session and its tokens are gone
    with pytest.raises(ConnectorError) as err:
        gateway.get_user_info(info["token"])
    assert "3002" in err.value.reason
    with pytest.raises(ConnectorError):
        zwfw.get_user_info(zwfw_info["token"])
    assert is_page(browser.start("WFTYSFRZ", GATEWAY_BACK), "/jis-web/login/password")


def test_verify_logout_notice_rejects_tampering_and_stale_notices(provincial, make_client):
    client = make_client(provincial)
    from gateway.federation.provincial_client import sign_params

    form = {"sessionIndex": "SID-1", "userId": "u1", "timestamp": str(int(time.time() * 1000)), "nonce": "ab" * 8}
    good = {**form, "sign": sign_params(form, client.app_word)}
    with pytest.raises(ConnectorError, match="bad signature"):
        client.verify_logout_notice({**good, "userId": "u2"})
    with pytest.raises(ConnectorError, match="bad signature"):
        client.verify_logout_notice({**good, "sign": "签名"})
    with pytest.raises(ConnectorError, match="missing"):
        client.verify_logout_notice({k: v for k, v in good.items() if k != "nonce"})
    stale = {**form, "timestamp": str(int((time.time() - 400) * 1000))}
    with pytest.raises(ConnectorError, match="stale"):
        client.verify_logout_notice({**stale, "sign": sign_params(stale, client.app_word)})
    assert client.verify_logout_notice(good)["session_index"] == "SID-1"


def test_ticket_issued_before_logout_cannot_be_redeemed(browser, provincial, make_client):
    ticket = ticket_from(browser.login("WFTYSFRZ", GATEWAY_BACK, "zhangsan01"), GATEWAY_BACK)
    browser.get("/sso/logout", appMark="WFTYSFRZ", backUrl=GATEWAY_BACK)  # the bare alias
    with pytest.raises(ConnectorError) as err:
        make_client(provincial).exchange_ticket(ticket, GATEWAY_BACK)
    assert "3002" in err.value.reason


def test_logout_to_unregistered_back_url_does_not_redirect(browser, provincial):
    browser.login("WFTYSFRZ", GATEWAY_BACK, "zhangsan01")
    resp = browser.get(LOGOUT, appMark="WFTYSFRZ", backUrl="https://evil.example/")
    assert resp.status_code == 200 and "Location" not in resp.headers and "1007" in resp.text
    assert is_page(browser.start("WFTYSFRZ", GATEWAY_BACK), "/jis-web/login/password")


def test_backchannel_down_sends_no_notice(browser, provincial, receiver):
    faults(provincial, backchannel_down=True)
    browser.login("WFTYSFRZ", GATEWAY_BACK, "zhangsan01")
    browser.get(LOGOUT, appMark="WFTYSFRZ", backUrl=GATEWAY_BACK)

    def recorded():
        return requests.get(provincial["base_url"] + "/__sim__/notices", timeout=5).json()

    assert wait_until(recorded, 3, "no notice recorded")[0]["status"].startswith("skipped")
    assert receiver.posts == []


def test_switch_corp_gives_a_ticket_for_the_new_unit(browser, provincial, make_client):
    client = make_client(provincial)
    first = client.exchange_ticket(
        ticket_from(browser.login("WFTYSFRZ", GATEWAY_BACK, "wangwu03", user_type=2), GATEWAY_BACK), GATEWAY_BACK)
    assert first["corp"]["uscc"] == "91370705MA3C4F2K26"
    page = browser.get(client.switch_corp_url(GATEWAY_BACK).removeprefix(provincial["base_url"]))
    assert is_page(page, "/jis-web/login/corp") and "寿光市示例蔬菜专业合作社" in page.text
    resp = browser.submit(page, "/jis-web/login/corp", corpId="c-0019")
    second = client.exchange_ticket(ticket_from(resp, GATEWAY_BACK), GATEWAY_BACK)
    assert second["corp"]["uscc"] == "91370783MA3EQ2N5XX" and second["corp"]["corpType"] == "3"
    assert second["sessionIndex"] == first["sessionIndex"]
    # the first token still describes the unit it was issued for
    assert client.get_user_info(first["token"])["corp"]["uscc"] == "91370705MA3C4F2K26"


def test_switch_corp_without_a_session_logs_in_first(browser, provincial, make_client):
    page = browser.get("/jpaas-jis-sso-server/sso/entrance/switch-corp", appMark="WFTYSFRZ", backUrl=GATEWAY_BACK)
    assert is_page(page, "/jis-web/login/password") and "法人登录" in page.text
    page = browser.authenticate(page, "wangwu03")
    assert is_page(page, "/jis-web/login/corp")  # the chooser even though wangwu03 has a default unit
    resp = browser.submit(page, "/jis-web/login/corp", corpId="c-0018")
    info = make_client(provincial).exchange_ticket(ticket_from(resp, GATEWAY_BACK), GATEWAY_BACK)
    assert info["corp"]["uscc"] == "91370700MA3C4F2K2X"


def test_switch_corp_without_units_is_refused(browser, provincial):
    browser.login("WFTYSFRZ", GATEWAY_BACK, "zhangsan01")
    resp = browser.get("/jpaas-jis-sso-server/sso/entrance/switch-corp", appMark="WFTYSFRZ", backUrl=GATEWAY_BACK)
    assert error_code(resp) == "4002"


def test_switch_corp_checks_back_url(browser):
    resp = browser.get("/jpaas-jis-sso-server/sso/entrance/switch-corp", appMark="WFTYSFRZ",
                       backUrl="https://evil.example/")
    assert error_code(resp) == "1007" and "Location" not in resp.headers


def test_slow_province_raises_upstream_unavailable_within_read_timeout(provincial, make_client):
    faults(provincial, slow_seconds=2)
    client = make_client(provincial, read_timeout=0.5)
    started = time.monotonic()
    with pytest.raises(UpstreamUnavailable) as err:
        client.app_sign()
    assert time.monotonic() - started < 1.5
    assert err.value.retryable and "timeout" in err.value.reason


def test_busy_province_raises_upstream_unavailable(provincial, make_client):
    faults(provincial, busy=True)
    with pytest.raises(UpstreamUnavailable) as err:
        make_client(provincial).exchange_ticket("ST-any", GATEWAY_BACK)
    assert "5000" in err.value.reason and err.value.user_message == "provincial.unavailable"


def test_unreachable_or_non_json_province_raises_upstream_unavailable():
    down = ProvincialClient(f"http://127.0.0.1:{free_port()}", "WFTYSFRZ", "x" * 20, connect_timeout=0.5)
    with pytest.raises(UpstreamUnavailable):
        down.app_sign()


def test_http_error_or_non_json_answer_is_upstream_unavailable(provincial, receiver):
    # The simulator answers HTML 404s under an unknown prefix ...
    client = ProvincialClient(provincial["base_url"] + "/nowhere", "WFTYSFRZ", "x" * 20)
    with pytest.raises(UpstreamUnavailable, match="HTTP 404"):
        client.app_sign()
    # ... and the notice receiver answers 200 with an empty body.
    client = ProvincialClient(receiver.url, "WFTYSFRZ", "x" * 20)
    with pytest.raises(UpstreamUnavailable, match="not a JSON envelope"):
        client.app_sign()


def test_unknown_fault_is_rejected(provincial):
    resp = requests.post(provincial["base_url"] + "/__sim__/faults", json={"explode": True}, timeout=5)
    assert resp.status_code == 400


def test_login_url_shapes(provincial, make_client):
    client = make_client(provincial)
    assert client.login_url(2, GATEWAY_BACK, auth_level=3) == (
        f"{provincial['base_url']}/jis-web/login?appMark=WFTYSFRZ&userType=2&backUrl="
        "http%3A%2F%2F127.0.0.1%3A5000%2Ffederation%2Fprovincial%2Fcallback&authLevel=3")
    assert "/jis-web/login_m?" in client.login_url(1, GATEWAY_BACK, mobile=True)
    assert client.logout_url(GATEWAY_BACK).startswith(f"{provincial['base_url']}/jpaas-jis-sso-server/sso/logout?")
    with pytest.raises(ValueError):
        client.login_url(3, GATEWAY_BACK)
