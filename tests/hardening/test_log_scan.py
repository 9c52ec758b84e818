"""No seeded ID number, mobile, password, client secret or token ever reaches a log line or the audit table.

A full run — provincial logins of every seeded citizen and company agent, a local login with
code, refresh, userinfo, introspection, revocation, logout with id_token_hint, failed logins,
client_credentials — with every log record captured (JSON formatter, as in production) and the
audit table read back afterwards.
"""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path

import pytest
import requests
from sqlalchemy import select

from gateway.audit.models import AuditEvent
from gateway.logging_setup import JsonFormatter
from tests.federation.browser import ChainBrowser, code_of
from tests.federation.test_provincial_flow import make_portal
from tests.helpers import authorize_url, basic, csrf_of, get_code, redeem
from tests.simulator.sim_helpers import shipped_seed

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def federated(redis_server, tmp_path_factory):
    """Like tests/federation's fixture, on Redis DB 9 of its own (global queue keys must not be shared)."""
    from tests.federation.conftest import federated_gateway

    with federated_gateway(redis_server["url"][:-1] + "9", tmp_path_factory.mktemp("scan")) as gateway:
        yield gateway


class Capture(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.setFormatter(JsonFormatter())
        self.lines: list[str] = []

    def emit(self, record):
        if record.name.startswith("werkzeug"):  # the test server's request log; production uses gunicorn's
            return
        self.lines.append(self.format(record))


def _capture():
    handler = Capture()
    loggers = [logging.getLogger(), logging.getLogger("gateway"), logging.getLogger("flask-limiter")]
    for lg in loggers:
        lg.addHandler(handler)
    old = logging.getLogger("gateway").level
    logging.getLogger("gateway").setLevel(logging.DEBUG)
    return handler, loggers, old


def test_no_personal_data_or_credential_in_logs_or_audit(federated, app, svc, rp, user):
    issuer, fed_app, sim = federated
    fsvc = fed_app.extensions["gateway"]
    requests.post(sim["base_url"] + "/__sim__/faults", json={"slow_seconds": 0, "busy": False,
                                                            "backchannel_down": False}, timeout=5)
    seed = shipped_seed()
    secrets_seen: set[str] = {rp["client_secret"], user["password"]}
    for u in seed["users"]:
        secrets_seen |= {v for v in (u.get("idNumber"), u.get("mobile"), u.get("password")) if v}
    for c in seed["corps"]:
        if c.get("legalPersonId"):
            secrets_seen.add(c["legalPersonId"])
    for a in seed["apps"]:
        secrets_seen.add(a["appWord"])
    handler, loggers, old_level = _capture()
    try:
        # provincial: every seeded account that can log in, to a portal that receives everything
        portal = make_portal(fsvc, "logscan", release={"cn_id_number": {"basis": "statutory", "purpose": "测试"},
                                                      "phone_number": {"basis": "statutory", "purpose": "测试"}})
        secrets_seen.add(portal["client_secret"])
        provincial_logins = 0
        for u in seed["users"]:
            for user_type in (1, 2):
                url, params = authorize_url(portal, scope="openid profile cn_id corp phone")
                r = ChainBrowser().run(issuer + url, stop_at=portal["redirect_uri"], login=u["loginName"],
                                       user_type=user_type)
                if not hasattr(r, "final_url"):
                    continue
                provincial_logins += 1
                tokens = requests.post(f"{issuer}/token", headers=basic(portal), timeout=10, data={
                    "grant_type": "authorization_code", "code": code_of(r), "redirect_uri": portal["redirect_uri"],
                    "code_verifier": params["code_verifier"]}).json()
                secrets_seen |= {code_of(r), params["code_verifier"], *[tokens[k] for k in (
                    "access_token", "id_token", "refresh_token") if k in tokens]}
                info = requests.get(f"{issuer}/userinfo", timeout=5,
                                    headers={"Authorization": f"Bearer {tokens['access_token']}"})
                assert info.status_code == 200
        # local: the whole token life cycle on the main test app
        client = app.test_client()
        code, params = get_code(client, rp, user, scope="openid profile offline_access")
        tokens = redeem(client, rp, code, params).json
        secrets_seen |= {code, params["code_verifier"], tokens["access_token"], tokens["id_token"],
                         tokens["refresh_token"]}
        fresh = client.post("/token", headers=basic(rp), data={"grant_type": "refresh_token",
                                                               "refresh_token": tokens["refresh_token"]}).json
        secrets_seen |= {fresh["access_token"], fresh["refresh_token"], fresh.get("id_token") or rp["client_secret"]}
        client.get("/userinfo", headers={"Authorization": f"Bearer {fresh['access_token']}"})
        client.post("/introspect", headers=basic(rp), data={"token": fresh["access_token"]})
        client.post("/revoke", headers=basic(rp), data={"token": fresh["refresh_token"]})
        # a replayed refresh token and code (both are audited events)
        client.post("/token", headers=basic(rp), data={"grant_type": "refresh_token",
                                                       "refresh_token": tokens["refresh_token"]})
        redeem(client, rp, code, params)
        client.get(f"/logout?id_token_hint={tokens['id_token']}")
        cc = client.post("/token", data={"grant_type": "client_credentials"}, headers=basic(rp)).json
        secrets_seen.add(cc["access_token"])
        other = app.test_client()
        csrf = csrf_of(other.get("/login").get_data(as_text=True))
        for password in ("Wrong-Pass-1", user["password"] + "x"):
            secrets_seen.add(password)
            other.post("/login/local", data={"csrf_token": csrf, "username": user["username"], "password": password})
        svc.audit.flush()
        fsvc.audit.flush()
    finally:
        for lg in loggers:
            lg.removeHandler(handler)
        logging.getLogger("gateway").setLevel(old_level)

    rows = []
    for s_ in (svc, fsvc):
        with s_.db.session() as s:
            for ev in s.scalars(select(AuditEvent)):
                rows.append(json.dumps({"actor": ev.actor, "user_id": ev.user_id, "client_id": ev.client_id,
                                        "details": ev.details, "ip": ev.ip}, ensure_ascii=False, default=str))
    corpus = {"log": "\n".join(handler.lines), "audit": "\n".join(rows)}
    assert provincial_logins >= 4 and len(handler.lines) > 20 and len(rows) > 20  # the run happened, was recorded
    leaks = [(where, s[:12] + "…") for s in secrets_seen if s and len(s) >= 6 for where, text in corpus.items()
             if s in text]
    assert not leaks, leaks


def test_gunicorn_access_log_omits_query_strings():
    conf = (ROOT / "config" / "gunicorn.conf.py").read_text()
    fmt = re.search(r"access_log_format = '([^']+)'", conf).group(1)
    assert "%(r)s" not in fmt and "%(q)s" not in fmt and "%(U)s" in fmt
