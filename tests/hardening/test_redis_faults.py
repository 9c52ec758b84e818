"""Redis stopped under load, and a Sentinel failover mid-traffic, against real gunicorn processes."""

from __future__ import annotations

import time

import pytest
import requests
from sqlalchemy import func, select

from gateway.audit.models import AuditEvent
from gateway.oidc.models import RefreshToken
from gateway.registry.models import RelyingParty
from tests.hardening.conftest import GatewayProcess, record_figure, settings_env
from tests.hardening.flows import FlowStopped, code_via, login, redeem, seed
from tests.hardening.load import Load
from tests.helpers import wait_until
from tests.services.redis import free_port, start_redis, stop_redis


def _sql_counts(svc) -> dict:
    with svc.db.session() as s:
        return {m.__tablename__: s.scalar(select(func.count()).select_from(m))
                for m in (AuditEvent, RefreshToken, RelyingParty)}


def _flow_step(base, rp, user):
    def step():
        http = requests.Session()
        try:
            code, params = code_via(http, [base], rp, user, timeout=8)
        except FlowStopped as stopped:
            return stopped.status, False, "flow stopped"
        r = redeem(base, rp, code, params, timeout=8)
        return r.status_code, r.status_code == 200, ""
    return step


def _login_page_step(base):
    def step():
        r = requests.get(f"{base}/login", timeout=8)
        return r.status_code, r.status_code == 200, ""
    return step


def _cc_step(base, rp):
    from tests.helpers import basic

    def step():
        r = requests.post(f"{base}/token", data={"grant_type": "client_credentials"}, headers=basic(rp), timeout=8)
        return r.status_code, r.status_code == 200, ""
    return step


def test_redis_stopped_under_load_503_no_500_no_hang_then_resumes(make_app, tmp_path):
    info = start_redis(tmp_path / "redis")
    app = make_app(redis_url=info["url"], redis_socket_timeout=0.5)
    svc = app.extensions["gateway"]
    user, rp = seed(svc)
    port = free_port()
    gw = GatewayProcess(settings_env(svc.settings.replace(issuer=f"http://127.0.0.1:{port}"), port, workers=2,
                                     threads=4), port, tmp_path / "gw.log").start()
    restarted = None
    try:
        with Load({"flow": _flow_step(gw.base, rp, user), "page": _login_page_step(gw.base),
                   "cc": _cc_step(gw.base, rp)}) as load:
            # traffic flowing, full logins included, before the fault
            wait_until(lambda: len([o for o in load.between(0, time.time(), "flow") if o.ok]) >= 3, 20,
                       "no login completed before the fault")
            svc.audit.flush()
            before = _sql_counts(svc)
            t_down = time.time()
            stop_redis(info)
            # until plenty of requests began and ended while Redis was down (the window judged below)
            wait_until(lambda: len([o for o in load.between(t_down + 0.2, time.time() - 1.0)
                                    if o.kind == "page"]) >= 10, 20, "the load generator stalled")
            t_up = time.time()
            restarted = start_redis(info["dir"], port=info["port"])
            # resumed, and kept serving for a few more logins
            wait_until(lambda: len([o for o in load.between(t_up, time.time(), "flow") if o.ok]) >= 3, 15,
                       "service did not resume by itself")
        everything = load.outcomes
        assert not [o for o in everything if o.status == 500], "a 500 was served"
        assert not [o for o in everything if o.status is None], [o.detail for o in everything if o.status is None][:5]
        assert max(o.elapsed for o in everything) < 6, "a request hung"
        down = load.between(t_down + 0.2, t_up - 1.0)  # requests that began and ended while it was down
        assert down and {o.status for o in down if o.kind == "page"} == {503}
        assert {o.status for o in down if o.kind == "flow"} <= {503, 200}
        recovered = load.first_ok_after(t_up, "flow")
        assert recovered is not None, "service did not resume by itself"
        resume = recovered.started + recovered.elapsed - t_up
        healthy = [o for o in load.between(0, t_down, "flow") if o.started + o.elapsed < t_down]
        assert healthy and all(o.ok for o in healthy)
        svc.audit.flush()
        after = _sql_counts(svc)
        assert all(after[k] >= before[k] for k in before), (before, after)  # nothing in SQL lost
        record_figure("Redis stopped under load", f"{len(down)} requests while down: statuses "
                      f"{sorted({o.status for o in down})}, max latency {max(o.elapsed for o in everything):.2f} s; "
                      f"first full login+token after restart {resume:.2f} s")
    finally:
        gw.stop()
        if restarted:
            stop_redis(restarted)
        else:
            stop_redis(info)

