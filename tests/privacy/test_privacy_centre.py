"""Purpose-bound release, consent per item, withdrawal, disclosure history and export."""

from __future__ import annotations

import json
import re
import time

from sqlalchemy import select

from gateway.logout.worker import DeliveryWorker
from gateway.privacy.models import Disclosure
from tests.helpers import authorize_url, basic, csrf_of, query, redeem
from tests.services.receiver import Receiver

POLICY = {"name": {"basis": "statutory", "purpose": "核实办事人身份"},
          "email": {"basis": "consent", "purpose": "发送办理结果通知"},
          "phone_number_masked": {"basis": "consent", "purpose": "联系办事人"}}


def make_rp(svc, name, policy=POLICY, scope="openid profile email phone", **kw):
    host = f"{name}.weifang.example"
    record, secret = svc.clients.create(name=name, department="市民政局", redirect_uris=[f"https://{host}/cb"],
                                        scope=scope, release_policy=policy, **kw)
    return {"client_id": record.client_id, "client_secret": secret, "redirect_uri": f"https://{host}/cb"}


def login_with_choices(client, rp, user, choose, scope="openid profile email phone"):
    """Authorize, log in, and on the consent page tick exactly ``choose``; returns token response."""
    url, params = authorize_url(rp, scope=scope)
    r = client.get(url)
    if "/login" in r.headers["Location"]:
        login = r.headers["Location"]
        page = client.get(login)
        r = client.post("/login/local", data={"csrf_token": csrf_of(page.get_data(as_text=True)),
                                              "tx": query(login)["tx"], "username": user["username"],
                                              "password": user["password"]})
        r = client.get(r.headers["Location"])
    page_html = None
    if "/consent" in r.headers["Location"]:
        consent = r.headers["Location"]
        page_html = client.get(consent).get_data(as_text=True)
        r = client.post(consent, data={"csrf_token": csrf_of(page_html), "tx": query(consent)["tx"],
                                       "decision": "allow", "claim": choose})
        r = client.get(r.headers["Location"])
    code = query(r.headers["Location"])["code"]
    return redeem(client, rp, code, params).json, page_html


def userinfo(client, token):
    return client.get("/userinfo", headers={"Authorization": f"Bearer {token}"})


def test_scopes_asking_more_than_the_policy_get_only_the_policy(client, svc, user):
    rp = make_rp(svc, "strict", policy={"name": {"basis": "statutory", "purpose": "身份核验"}},
                 scope="openid profile email phone")
    tokens, page = login_with_choices(client, rp, user, [])
    assert page is None  # statutory only: no consent screen
    info = userinfo(client, tokens["access_token"]).json
    assert set(info) == {"sub", "name"}


def test_consent_needed_for_consent_based_claims_not_for_statutory(client, svc, user):
    rp = make_rp(svc, "mixed")
    tokens, page = login_with_choices(client, rp, user, ["email"])  # declines the phone item
    assert "依法提供" in page and "核实办事人身份" in page and "发送办理结果通知" in page
    assert 'name="claim" value="email" checked' in page  # optional items are per-item choices
    info = userinfo(client, tokens["access_token"]).json
    assert info["name"] == "测试用户" and info["email"].endswith("@weifang.example")
    assert "phone_number_masked" not in info


def test_sensitive_claims_need_a_separate_explicit_choice(client, svc, user):
    rp = make_rp(svc, "sensitive", policy={"name": {"basis": "statutory", "purpose": "核验"},
                                           "corp": {"basis": "consent", "purpose": "代办企业业务"}},
                 scope="openid profile corp")
    tokens, page = login_with_choices(client, rp, user, [], scope="openid profile corp")
    assert "敏感个人信息" in page and 'name="claim" value="corp">' in page  # not pre-ticked


def test_changed_policy_asks_again(client, svc, user):
    rp = make_rp(svc, "changing")
    login_with_choices(client, rp, user, ["email"])
    url, _ = authorize_url(rp, scope="openid profile email phone")
    assert "code=" in client.get(url).headers["Location"]  # remembered
    from gateway.registry.models import RelyingParty

    with svc.db.session() as s:
        row = s.scalar(select(RelyingParty).where(RelyingParty.client_id == rp["client_id"]))
        row.release_policy = {**POLICY, "email": {"basis": "consent", "purpose": "新的用途"}}
    svc.clients.invalidate(rp["client_id"])
    assert "/consent" in client.get(url).headers["Location"]


def test_history_records_releases_at_token_and_userinfo_without_values(client, svc, user):
    rp = make_rp(svc, "history")
    tokens, _ = login_with_choices(client, rp, user, ["email"])
    userinfo(client, tokens["access_token"])
    svc.disclosures.flush()
    with svc.db.session() as s:
        rows = s.scalars(select(Disclosure).where(Disclosure.client_id == rp["client_id"])).all()
    assert {r.channel for r in rows} == {"id_token", "userinfo"}
    for r in rows:
        assert r.claims == {"name": "statutory", "email": "consent"}  # which claims and basis, no values
    page = client.get("/account").get_data(as_text=True)
    assert "history" in page and "经同意" in page and "依法" in page


def test_withdrawal_ends_the_portals_session_and_tokens(app, client, svc, user):
    rec = Receiver()
    record, secret = svc.clients.create(name="withdraw", redirect_uris=["https://w.weifang.example/cb"],
                                        scope="openid profile email", release_policy=POLICY,
                                        backchannel_logout_uri=rec.url)
    rp = {"client_id": record.client_id, "client_secret": secret, "redirect_uri": "https://w.weifang.example/cb"}
    tokens, _ = login_with_choices(client, rp, user, ["email"], scope="openid profile email")
    page = client.get("/account").get_data(as_text=True)
    assert "withdraw" in page
    r = client.post("/account/consents/withdraw", data={"csrf_token": csrf_of(page), "client_id": rp["client_id"]})
    assert r.status_code == 302
    assert userinfo(client, tokens["access_token"]).status_code == 401
    refreshed = client.post("/token", data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
                            headers=basic(rp))
    assert refreshed.status_code == 400
    worker = DeliveryWorker(svc)
    deadline = time.time() + 10
    while not rec.received and time.time() < deadline:
        worker.run_once(block_ms=200)
    rec.stop()
    assert rec.received and "logout_token" in rec.received[0]["form"]
    url, _ = authorize_url(rp, scope="openid profile email")
    assert "/consent" in client.get(url).headers["Location"]  # asked again next time


def test_export_contains_the_history(client, svc, user):
    rp = make_rp(svc, "export")
    tokens, _ = login_with_choices(client, rp, user, ["email"])
    userinfo(client, tokens["access_token"])
    r = client.get("/account/export")
    assert r.headers["Cache-Control"] == "no-store" and "attachment" in r.headers["Content-Disposition"]
    data = json.loads(r.get_data(as_text=True))
    assert any(d["client_id"] == rp["client_id"] and d["channel"] == "userinfo" for d in data["disclosures"])
    assert any(c["client_id"] == rp["client_id"] for c in data["consents"])
    assert not re.search(r"\d{17}[\dX]", r.get_data(as_text=True))  # never a full ID number


def test_history_paginates(client, svc, user):
    rp = make_rp(svc, "pages")
    tokens, _ = login_with_choices(client, rp, user, ["email"])
    for _ in range(25):
        userinfo(client, tokens["access_token"])
    html = client.get("/account").get_data(as_text=True)
    assert "page=2" in html
    assert client.get("/account?page=2").status_code == 200
