"""Single logout reaches every portal: back-channel tokens, retries, timeouts, admin actions."""

from __future__ import annotations

import time

import pytest
from joserfc import jwt
from joserfc.jwk import KeySet
from sqlalchemy import select

from gateway.logout.models import LogoutDelivery
from gateway.logout.tokens import EVENT
from tests.conftest import build_app, make_settings
from tests.helpers import basic, csrf_of, get_code, redeem
from tests.logout.conftest import start_worker
from tests.services.receiver import Receiver
from tests.services.redis import free_port


@pytest.fixture
def receivers():
    made = []

    def make(statuses=(200,), delay=0.0):
        r = Receiver(statuses, delay)
        made.append(r)
        return r

    yield make
    for r in made:
        r.stop()


def portal(svc, name, backchannel=None, frontchannel=None):
    host = f"{name}.weifang.example"
    record, secret = svc.clients.create(
        name=name, redirect_uris=[f"https://{host}/cb"], post_logout_redirect_uris=[f"https://{host}/bye"],
        backchannel_logout_uri=backchannel, frontchannel_logout_uri=frontchannel, first_party=True,
        scope="openid profile offline_access")
    return {"client_id": record.client_id, "client_secret": secret, "redirect_uri": f"https://{host}/cb"}


def sign_in(client, rp, user):
    code, params = get_code(client, rp, user)
    tokens = redeem(client, rp, code, params).json
    return tokens


def check_logout_token(client, token: str, rp: dict, id_token: str):
    jwks = KeySet.import_key_set(client.get("/jwks").json)
    decoded = jwt.decode(token, jwks)
    id_claims = jwt.decode(id_token, jwks).claims
    assert decoded.header["typ"] == "logout+jwt"
    c = decoded.claims
    assert c["iss"] == id_claims["iss"] and c["aud"] == rp["client_id"]
    assert c["sid"] == id_claims["sid"] and c["sub"] == id_claims["sub"]
    assert EVENT in c["events"] and c["events"][EVENT] == {}
    assert "nonce" not in c and c["jti"] and c["exp"] > c["iat"]
    return c


def test_logout_at_one_portal_reaches_both(client, svc, user, worker, receivers):
    ra, rb = receivers(), receivers()
    a, b = portal(svc, "porta", ra.url), portal(svc, "portb", rb.url)
    ta, tb = sign_in(client, a, user), sign_in(client, b, user)
    r = client.get("/logout", query_string={"id_token_hint": ta["id_token"]})
    assert r.status_code == 302
    got_a, got_b = ra.wait_for(1)[0], rb.wait_for(1)[0]
    assert got_a["content_type"] == "application/x-www-form-urlencoded"
    ca = check_logout_token(client, got_a["form"]["logout_token"], a, ta["id_token"])
    cb = check_logout_token(client, got_b["form"]["logout_token"], b, tb["id_token"])
    assert ca["jti"] != cb["jti"]  # a receiver can detect a replay by its jti
    # the session's tokens stopped working: refresh and userinfo
    assert client.get("/userinfo", headers={"Authorization": f"Bearer {tb['access_token']}"}).status_code == 401
    # the worker records each outcome just after the portal answered: wait for both records
    deadline, rows = time.time() + 5, []
    while (len(rows) < 2 or any(r.status != "delivered" for r in rows)) and time.time() < deadline:
        with svc.db.session() as s:
            rows = s.scalars(select(LogoutDelivery).where(LogoutDelivery.client_id.in_([a["client_id"],
                                                                                        b["client_id"]]))).all()
    assert {r.status for r in rows} == {"delivered"} and len(rows) == 2


def test_portal_answering_503_twice_gets_the_token_on_the_third_try(client, svc, user, worker, receivers):
    rec = receivers(statuses=(503, 503, 200))
    p = portal(svc, "flaky", rec.url)
    t = sign_in(client, p, user)
    client.get("/logout", query_string={"id_token_hint": t["id_token"]})
    got = rec.wait_for(3, timeout=15)
    assert [g["status"] for g in got] == [503, 503, 200]
    jwks = KeySet.import_key_set(client.get("/jwks").json)
    jtis = {jwt.decode(g["form"]["logout_token"], jwks).claims["jti"] for g in got}
    assert len(jtis) == 3  # each attempt carries a fresh token (receivers check iat and jti)
    for g in got:
        check_logout_token(client, g["form"]["logout_token"], p, t["id_token"])
    deadline = time.time() + 5
    row = None
    while time.time() < deadline and (row is None or row.status != "delivered"):
        with svc.db.session() as s:
            row = s.scalar(select(LogoutDelivery).where(LogoutDelivery.client_id == p["client_id"]))
    assert row.status == "delivered" and row.attempts == 3


def test_portal_refusing_with_4xx_is_not_retried(client, svc, user, worker, receivers):
    rec = receivers(statuses=(400, 200))
    p = portal(svc, "refuser", rec.url)
    t = sign_in(client, p, user)
    client.get("/logout", query_string={"id_token_hint": t["id_token"]})
    rec.wait_for(1)
    deadline = time.time() + 5
    row = None
    while time.time() < deadline and (row is None or row.status == "pending"):
        with svc.db.session() as s:
            row = s.scalar(select(LogoutDelivery).where(LogoutDelivery.client_id == p["client_id"]))
    assert row.status == "failed" and row.attempts == 1 and row.last_status == 400  # final: never retried
    assert p["client_id"] not in str(svc.redis.zrange("gw:logout:retry", 0, -1))


def test_dead_or_slow_portal_does_not_delay_the_logout_page(client, svc, user, receivers):
    slow = receivers(delay=2.5)
    dead = portal(svc, "dead", f"http://127.0.0.1:{free_port()}/bc")
    slowp = portal(svc, "slow", slow.url)
    t = sign_in(client, dead, user)
    sign_in(client, slowp, user)
    r = client.get("/logout", query_string={"id_token_hint": t["id_token"]})
    # The page answered without contacting any portal: deliveries are only queued (no worker runs
    # in this test), so neither a dead nor a slow portal can hold it up. bench/ measures the time.
    assert r.status_code == 302 and slow.received == []
    assert svc.logout_queue.pending() >= 2


def test_admin_ending_sessions_notifies_portals(app, client, svc, user, worker, receivers):
    rec = receivers()
    p = portal(svc, "adminend", rec.url)
    t = sign_in(client, p, user)
    result = app.test_cli_runner().invoke(args=["sessions", "end", "--user", user["username"]])
    assert result.exit_code == 0 and "ended 1" in result.output
    check_logout_token(client, rec.wait_for(1)[0]["form"]["logout_token"], p, t["id_token"])


def test_my_sessions_page_ends_other_sessions(app, svc, user, worker, receivers):
    rec = receivers()
    p = portal(svc, "mine", rec.url)
    phone, laptop = app.test_client(), app.test_client()
    sign_in(phone, p, user)
    sign_in(laptop, p, user)
    page = laptop.get("/account/sessions")
    html = page.get_data(as_text=True)
    assert html.count("结束</button>") == 2 and "mine" in html
    r = laptop.post("/account/sessions/end", data={"csrf_token": csrf_of(html), "sid": "others"})
    assert r.status_code == 302
    rec.wait_for(1)
    assert "结束</button>" in laptop.get("/account/sessions").get_data(as_text=True)
    assert phone.get("/account/sessions").status_code == 302  # the phone's session is gone


def test_frontchannel_iframes_only_for_registered_uris(client, svc, user):
    p = portal(svc, "legacy", frontchannel="https://legacy.weifang.example/fc-logout")
    q = portal(svc, "nofc")
    t = sign_in(client, p, user)
    sign_in(client, q, user)
    r = client.get("/logout", query_string={"id_token_hint": t["id_token"]})
    html = r.get_data(as_text=True)
    assert r.status_code == 200
    assert html.count("<iframe") == 1 and "https://legacy.weifang.example/fc-logout?iss=" in html
    assert "frame-src https://legacy.weifang.example" in r.headers["Content-Security-Policy"]


def test_idle_timeout_is_pushed_to_portals(redis_server, tmp_path, receivers):
    settings = make_settings(redis_server["url"][:-1] + "2", f"sqlite:///{tmp_path}/idle.sqlite", "http://127.0.0.1:5000",
                             session={"idle_timeout": 1, "absolute_timeout": 3600})
    app = build_app(settings)
    svc = app.extensions["gateway"]
    svc.accounts.create("idler", "Idle-Pass-2026!")
    rec = receivers()
    p = portal(svc, "idleportal", rec.url)
    client = app.test_client()
    t = sign_in(client, p, {"username": "idler", "password": "Idle-Pass-2026!"})
    stop, thread = start_worker(app)
    try:
        got = rec.wait_for(1, timeout=10)
    finally:
        stop.set()
        thread.join(10)
    check_logout_token(client, got[0]["form"]["logout_token"], p, t["id_token"])
    assert client.get("/account/sessions").status_code == 302  # logged out at the gateway too


def test_offline_access_survives_logout_but_session_tokens_do_not(client, svc, user):
    p = portal(svc, "offline")
    code, params = get_code(client, p, user, scope="openid profile offline_access")
    offline = redeem(client, p, code, params).json
    code, params = get_code(client, p, user, scope="openid profile")
    bound = redeem(client, p, code, params).json
    client.get("/logout", query_string={"id_token_hint": bound["id_token"]})
    r = client.post("/token", data={"grant_type": "refresh_token", "refresh_token": offline["refresh_token"]},
                    headers=basic(p))
    assert r.status_code == 200 and "sid" not in jwt.decode(r.json["access_token"],
                                                           KeySet.import_key_set(client.get("/jwks").json)).claims
    r = client.post("/token", data={"grant_type": "refresh_token", "refresh_token": bound["refresh_token"]},
                    headers=basic(p))
    assert r.status_code == 400
