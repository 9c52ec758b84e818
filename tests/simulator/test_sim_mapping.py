"""map_user_info on real simulator answers, and its refusals."""

from __future__ import annotations

import pytest

from gateway.federation.base import ConnectorError
from gateway.federation.provincial_mapping import map_user_info
from tests.simulator.sim_helpers import GATEWAY_BACK, ticket_from


def test_natural_person_maps_to_identity(browser, provincial, make_client):
    info = make_client(provincial).exchange_ticket(
        ticket_from(browser.login("WFTYSFRZ", GATEWAY_BACK, "zhangsan01"), GATEWAY_BACK), GATEWAY_BACK)
    ident = map_user_info(info, auth_time=1718000000)
    assert ident.connector == "provincial" and ident.upstream_id == info["userId"]
    assert ident.claims == {"cn_user_type": "natural", "name": "张三", "phone_number": "13800000000",
                            "cn_id_number": "370702199003071230", "cn_id_number_masked": "370702********1230"}
    assert ident.acr == "urn:sd:tysfrz:loa:3" and ident.amr == ("pwd", "sms")
    assert ident.user_type == "natural" and ident.auth_time == 1718000000
    assert ident.upstream_session == {"session_index": info["sessionIndex"]}


def test_agent_maps_corp(browser, provincial, make_client):
    resp = browser.login("WFTYSFRZ", GATEWAY_BACK, "lisi02", user_type=2)
    resp = browser.submit(resp, "/jis-web/login/corp", corpId="c-0018")
    ident = map_user_info(make_client(provincial).exchange_ticket(ticket_from(resp, GATEWAY_BACK), GATEWAY_BACK), 1)
    assert ident.user_type == "legal" and ident.claims["cn_user_type"] == "legal"
    assert ident.claims["corp"] == {"uscc": "91370700MA3C4F2K2X", "name": "潍坊示例科技有限公司", "role": "admin",
                                    "corp_type": "enterprise", "agent": True}
    assert ident.acr == "urn:sd:tysfrz:loa:2"


def test_unverified_user_has_no_personal_numbers():
    ident = map_user_info({"userType": "1", "userId": "u-newbie", "authLevel": "0", "mobileMasked": "135****0000",
                           "authMethods": ["pwd", "sms", "mystery"]}, 5)
    assert ident.claims == {"cn_user_type": "natural"} and ident.acr == "urn:sd:tysfrz:loa:0"
    assert ident.amr == ("pwd", "sms")


@pytest.mark.parametrize("data, key", [
    ({"userType": "1", "userId": "u", "idNumber": "370702199003071231"}, "provincial.invalid_id"),
    ({"userType": "1", "userId": "u", "idNumber": "370702199902290015"}, "provincial.invalid_id"),
    ({"userType": "1", "name": "张三"}, "provincial.bad_response"),
    ({"userType": "2", "userId": "u"}, "provincial.bad_response"),
    ({"userType": "2", "userId": "u", "accountRole": "3", "corp": {"uscc": "91370705MA3C4F2K27"}},
     "provincial.invalid_id"),
])
def test_unusable_user_info_is_refused(data, key):
    with pytest.raises(ConnectorError) as err:
        map_user_info(data, 1)
    assert err.value.user_message == key
    assert "370702199003071231" not in err.value.reason
