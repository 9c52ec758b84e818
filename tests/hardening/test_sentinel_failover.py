"""Redis Sentinel: kill the master mid-traffic; logins resume within 5 s and none succeeds wrongly."""

from __future__ import annotations

import os
import signal
import time

import pytest
import requests

from tests.hardening.conftest import GatewayProcess, record_figure, settings_env
from tests.hardening.flows import login, seed
from tests.hardening.load import Load
from tests.hardening.topology import start_sentinel_topology, stop_all
from tests.services.redis import free_port
from tests.helpers import wait_until


@pytest.fixture
def sentinel(tmp_path):
    topo = start_sentinel_topology(tmp_path / "sentinel", down_after_ms=1000)
    yield topo
    stop_all(topo["procs"])


def _login_step(base, user, expect_success):
    def step():
        http = requests.Session()
        r = login(http, base, user, timeout=5)
        if r.status_code != 302:
            return r.status_code, False, "refused"
        logged_in = r.headers["Location"].rstrip("/").endswith(str(base)) or r.headers["Location"] == "/"
        if logged_in:
            home = http.get(base + "/", timeout=5)
            logged_in = home.status_code == 200 and "您已登录" in home.text
        if not expect_success:
            assert not logged_in, "a wrong password logged in during the failover"
            return r.status_code, True, "refused as it should"
        return r.status_code, logged_in, ""
    return step


def test_logins_resume_within_5s_after_the_master_is_killed(make_app, sentinel, tmp_path):
    app = make_app(redis_url=sentinel["url"], redis_socket_timeout=0.5,
                   security={"lockout_threshold": 100000})
    svc = app.extensions["gateway"]
    user, _ = seed(svc)
    decoy = {"username": user["username"], "password": "Wrong-Pass-2026"}
    port = free_port()
    gw = GatewayProcess(settings_env(svc.settings.replace(issuer=f"http://127.0.0.1:{port}"), port, workers=2,
                                     threads=4), port, tmp_path / "gw.log").start()
    try:
        with Load({"good": _login_step(gw.base, user, True), "bad": _login_step(gw.base, decoy, False)}) as load:
            wait_until(lambda: len([o for o in load.between(0, time.time(), "good") if o.ok]) >= 3, 20,
                       "no login succeeded before the failover")
            master = sentinel["procs"]["master"]
            t_kill = time.time()
            os.kill(master.pid, signal.SIGKILL)
            master.wait()
            # logins resumed, and a few more ran on the new master (wrong ones included)
            wait_until(lambda: len([o for o in load.between(t_kill, time.time(), "good") if o.ok]) >= 3, 20,
                       "logins never resumed")
        first = load.first_ok_after(t_kill, "good")
        assert first is not None, "logins never resumed"
        resumed = first.started + first.elapsed - t_kill
        healthy = [o for o in load.between(0, t_kill, "good") if o.started + o.elapsed < t_kill]
        assert healthy and all(o.ok for o in healthy)
        assert not [o for o in load.outcomes if o.status == 500]
        bad = [o for o in load.outcomes if o.kind == "bad"]
        assert bad and not [o for o in bad if o.detail == "AssertionError"]  # every wrong password was refused
        statuses = sorted({o.status for o in load.between(t_kill, t_kill + resumed)})
        record_figure("Sentinel failover (down-after 1000 ms)",
                      f"logins resumed {resumed:.2f} s after SIGKILL of the master; "
                      f"statuses meanwhile {statuses}; {len(bad)} wrong-password attempts, none logged in")
        assert resumed < 5.0, f"logins resumed only after {resumed:.2f} s"
    finally:
        gw.stop()
