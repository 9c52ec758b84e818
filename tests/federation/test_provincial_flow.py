"""Citizens and companies log in through the (simulated) province into portals, end to end."""

from __future__ import annotations

import time

import pytest
import requests
from joserfc import jwt
from joserfc.jwk import KeySet

from tests.federation.browser import ChainBrowser, code_of
from tests.helpers import authorize_url, basic, pkce_pair

ACR = "urn:sd:tysfrz:loa:"


@pytest.fixture
def gw(federated):
    issuer, app, sim = federated
    requests.post(sim["base_url"] + "/__sim__/faults", json={"slow_seconds": 0, "busy": False,
                                                            "backchannel_down": False}, timeout=5)
    return issuer, app.extensions["gateway"], sim


def make_portal(svc, name, *, scope="openid profile cn_id corp phone", min_level=0, release=None,
                subject_type="pairwise", sector=None, user_types=("natural", "legal")):
    host = f"{name}.weifang.example"
    record, secret = svc.clients.create(
        name=name, department="市人力资源和社会保障局", redirect_uris=[f"https://{host}/cb"],
        post_logout_redirect_uris=[f"https://{host}/bye"], scope=scope, first_party=True,
        min_acr_level=min_level, release_policy=release or {}, subject_type=subject_type,
        sector_identifier=sector, allowed_user_types=list(user_types))
    return {"client_id": record.client_id, "client_secret": secret, "redirect_uri": f"https://{host}/cb"}


def login_to(browser, issuer, rp, scope="openid profile cn_id corp phone", **kw):
    url, params = authorize_url(rp, scope=scope, **{k: v for k, v in kw.items() if k in ("acr_values", "prompt",
                                                                                           "max_age")})
    opts = {k: v for k, v in kw.items() if k not in ("acr_values", "prompt", "max_age")}
    r = browser.run(issuer + url, stop_at=rp["redirect_uri"], **opts)
    assert hasattr(r, "final_url"), (r.status_code, r.text[:400])
    tokens = requests.post(f"{issuer}/token", headers=basic(rp), timeout=10, data={
        "grant_type": "authorization_code", "code": code_of(r), "redirect_uri": rp["redirect_uri"],
        "code_verifier": params["code_verifier"]}).json()
    jwks = KeySet.import_key_set(requests.get(f"{issuer}/jwks", timeout=5).json())
    id_claims = jwt.decode(tokens["id_token"], jwks).claims
    info = requests.get(f"{issuer}/userinfo", headers={"Authorization": f"Bearer {tokens['access_token']}"},
                        timeout=5).json()
    return tokens, id_claims, info


def test_citizen_logs_in_with_masked_data_and_level(gw):
    issuer, svc, _ = gw
    rp = make_portal(svc, "sbj")
    browser = ChainBrowser()
    _, claims, info = login_to(browser, issuer, rp, login="zhangsan01")
    assert claims["acr"] == ACR + "3" and "pwd" in claims["amr"]
    assert info["name"] == "张三" and info["cn_user_type"] == "natural"
    assert info["cn_id_number_masked"] == "370702********1230" and "cn_id_number" not in info
    assert info["phone_number_masked"].startswith("138") and "phone_number" not in info
    assert len(claims["sub"]) > 20 and "370702" not in claims["sub"]


def test_full_id_number_only_for_portals_with_a_legal_basis(gw):
    issuer, svc, _ = gw
    rp = make_portal(svc, "bdc", release={"cn_id_number": {"basis": "statutory", "purpose": "不动产登记"}})
    _, _, info = login_to(ChainBrowser(), issuer, rp, login="zhangsan01")
    assert info["cn_id_number"] == "370702199003071230"


def test_company_agent_logs_in_with_corp(gw):
    issuer, svc, _ = gw
    rp = make_portal(svc, "qykb", user_types=("legal",))
    _, claims, info = login_to(ChainBrowser(), issuer, rp, login="wangwu03", user_type=2)
    assert info["cn_user_type"] == "legal"
    assert info["corp"]["uscc"] and info["corp"]["role"] == "legal_representative" and info["corp"]["agent"] is False


def test_second_portal_needs_no_second_provincial_login(gw):
    issuer, svc, _ = gw
    a, b = make_portal(svc, "porta"), make_portal(svc, "portb")
    browser = ChainBrowser()
    login_to(browser, issuer, a, login="zhangsan01")
    before = len(browser.pages)
    _, _, info = login_to(browser, issuer, b)  # no login given: a login form would fail the run
    assert info["name"] == "张三"
    assert not any("jis-web/login/password" in p for p in browser.pages[before:])


def test_step_up_from_level_1_to_3(gw):
    issuer, svc, _ = gw
    low, high = make_portal(svc, "low"), make_portal(svc, "high")
    browser = ChainBrowser()
    _, claims, _ = login_to(browser, issuer, low, login="sunqi05")
    assert claims["acr"] == ACR + "1"
    _, claims, _ = login_to(browser, issuer, high, acr_values=ACR + "3")
    assert claims["acr"] == ACR + "3"
    assert any("raise-level" in p for p in browser.pages)


def test_portal_minimum_level_is_never_undercut(gw):
    issuer, svc, _ = gw
    rp = make_portal(svc, "gjj", min_level=2)
    browser = ChainBrowser()
    url, _ = authorize_url(rp, scope="openid profile")
    r = browser.run(issuer + url, stop_at=rp["redirect_uri"], login="zhao04")  # level 1, cannot reach 2
    assert not hasattr(r, "final_url")
    assert "4001" in r.text or "实名认证等级" in r.text


def test_prompt_login_forces_a_fresh_provincial_login(gw):
    issuer, svc, _ = gw
    rp = make_portal(svc, "fresh")
    browser = ChainBrowser()
    login_to(browser, issuer, rp, login="zhangsan01")
    before = len(browser.pages)
    login_to(browser, issuer, rp, login="zhangsan01", prompt="login")
    assert any("jis-web/login/password" in p for p in browser.pages[before:])


def test_pairwise_subjects_differ_across_sectors_and_match_within_one(gw):
    issuer, svc, _ = gw
    a = make_portal(svc, "sector-a", sector="rsj.weifang.example")
    b = make_portal(svc, "sector-b", sector="rsj.weifang.example")
    c = make_portal(svc, "sector-c")
    browser = ChainBrowser()
    subs = [login_to(browser, issuer, rp, login="zhangsan01")[1]["sub"] for rp in (a, b, c)]
    assert subs[0] == subs[1] != subs[2]


def test_province_slow_or_busy_gives_a_clear_page(gw):
    issuer, svc, sim = gw
    rp = make_portal(svc, "faulty")
    for fault in ({"slow_seconds": 4}, {"busy": True}):
        requests.post(sim["base_url"] + "/__sim__/faults", json=fault, timeout=5)
        browser = ChainBrowser()
        url, _ = authorize_url(rp, scope="openid profile")
        started = time.time()
        r = browser.run(issuer + url, stop_at=rp["redirect_uri"], login="zhangsan01")
        assert r.status_code == 200 and "省统一身份认证系统暂时不可用" in r.text
        assert time.time() - started < 15  # bounded by the 2 s read timeout, not hanging
        requests.post(sim["base_url"] + "/__sim__/faults", json={"slow_seconds": 0, "busy": False}, timeout=5)


def test_replayed_callback_is_refused(gw):
    issuer, svc, _ = gw
    rp = make_portal(svc, "replay")
    browser = ChainBrowser()
    login_to(browser, issuer, rp, login="zhangsan01")
    # the same callback URL (state + ticket) presented again: refused, no session for an attacker
    attacker = requests.Session()
    r = attacker.get(f"{issuer}/federation/provincial/callback", params={"st": "forged", "ticket": "ST-forged"},
                     allow_redirects=False, timeout=5)
    assert r.status_code == 302 and "/login" in r.headers["Location"]
    assert "gw_session" not in attacker.cookies or "登录状态已失效" in attacker.get(
        f"{issuer}{r.headers['Location']}", timeout=5).text


def test_gateway_logout_ends_the_provincial_session_too(gw):
    issuer, svc, _ = gw
    rp = make_portal(svc, "slo")
    browser = ChainBrowser()
    tokens, _, _ = login_to(browser, issuer, rp, login="zhangsan01")
    r = browser.run(f"{issuer}/logout?id_token_hint={tokens['id_token']}&post_logout_redirect_uri="
                    f"https://slo.weifang.example/bye", stop_at="https://slo.weifang.example/bye")
    assert r.final_url == "https://slo.weifang.example/bye"
    before = len(browser.pages)
    login_to(browser, issuer, rp, login="zhangsan01")  # both sessions gone: the province asks again
    assert any("jis-web/login/password" in p for p in browser.pages[before:])


def test_provincial_logout_notice_ends_the_gateway_session(gw):
    issuer, svc, sim = gw
    rp = make_portal(svc, "notice")
    browser = ChainBrowser()
    seen = {n.get("sessionIndex") for n in requests.get(f"{sim['base_url']}/__sim__/notices", timeout=5).json()}
    login_to(browser, issuer, rp, login="zhangsan01")
    assert browser.http.get(f"{issuer}/account/sessions", allow_redirects=False, timeout=5).status_code == 200
    # the citizen logs out at the province directly (another app's logout button)
    browser.http.get(f"{sim['base_url']}/jpaas-jis-sso-server/sso/logout",
                     params={"appMark": "WFTYSFRZ", "backUrl": f"{issuer}/federation/provincial/logged-out"},
                     allow_redirects=False, timeout=5)
    # wait until the province reports the notice delivered (its sender runs in a background thread)
    deadline, delivered = time.time() + 10, []
    while not delivered:
        assert time.time() < deadline, "the province sent no logout notice"
        delivered = [n for n in requests.get(f"{sim['base_url']}/__sim__/notices", timeout=5).json()
                     if n.get("url", "").startswith(issuer) and n.get("status") == 200 and n["sessionIndex"] not in seen]
    assert browser.http.get(f"{issuer}/account/sessions", allow_redirects=False, timeout=5).status_code == 302


def test_agent_switches_company_and_portal_sees_the_new_corp(gw):
    issuer, svc, _ = gw
    rp = make_portal(svc, "switch", user_types=("legal",))
    browser = ChainBrowser()
    _, _, first = login_to(browser, issuer, rp, login="lisi02", user_type=2, corp="c-0017")
    r = browser.run(f"{issuer}/federation/provincial/switch-corp", stop_at=f"{issuer}/account", corp="c-0018",
                    max_steps=10)
    _, _, second = login_to(browser, issuer, rp)
    assert first["corp"]["uscc"] != second["corp"]["uscc"]
    assert r is not None


def test_pkce_pair_helper_is_random():
    assert pkce_pair() != pkce_pair()


def test_id_number_hash_matches_within_a_sector_only(gw):
    issuer, svc, _ = gw
    policy = {"cn_id_number_hash": {"basis": "statutory", "purpose": "比对办事人"}}
    a = make_portal(svc, "hash-a", sector="rsj.weifang.example", release=policy)
    b = make_portal(svc, "hash-b", sector="rsj.weifang.example", release=policy)
    c = make_portal(svc, "hash-c", sector="gjj.weifang.example", release=policy)
    browser = ChainBrowser()
    infos = [login_to(browser, issuer, rp, login="zhangsan01")[2] for rp in (a, b, c)]
    assert infos[0]["cn_id_number_hash"] == infos[1]["cn_id_number_hash"] != infos[2]["cn_id_number_hash"]
    assert set(infos[0]) == {"sub", "cn_id_number_hash"}  # only what the policy names
    assert "370702" not in infos[0]["cn_id_number_hash"]
