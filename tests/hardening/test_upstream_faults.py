"""Upstream faults answer within their timeouts with the right page while other login methods keep working.

One gateway (served over HTTP so the simulated province can send the browser back) with three
methods: the provincial simulator, two department directories (one of them a hung server) and
local accounts.
"""

from __future__ import annotations

import dataclasses
import threading
import time

import pytest
import requests

from tests.conftest import build_app, make_settings
from tests.federation.browser import ChainBrowser
from tests.federation.conftest import seed_for
from tests.hardening.conftest import record_figure
from tests.hardening.flows import login
from tests.helpers import authorize_url, csrf_of
from tests.ldap.directories import rsj_directory, scjg_directory
from tests.services.provincial import start_provincial, stop
from tests.services.redis import free_port
from tests.services.slapd import slapd_available, start_blackhole, start_slapd, stop_slapd
from tests.simulator.sim_helpers import app_word

READ_TIMEOUT = 1.5


def _toml(d):
    return {k: (list(v) if isinstance(v, tuple) else v) for k, v in dataclasses.asdict(d).items()}


@pytest.fixture(scope="module")
def gateway(redis_server, tmp_path_factory):
    from tests.services.live import serving

    if not slapd_available():
        pytest.skip("slapd not installed")
    port = free_port()
    issuer = f"http://127.0.0.1:{port}"
    seed = seed_for(issuer)
    sim = start_provincial(tmp_path_factory.mktemp("sim"), seed=seed)
    slapd = start_slapd(tmp_path_factory.mktemp("slapd"))
    hole = start_blackhole()
    dirs = [rsj_directory([f"ldap://127.0.0.1:{hole.port}"], connect_timeout=1.0, receive_timeout=1.0),
            scjg_directory([slapd["uri"]])]
    db = tmp_path_factory.mktemp("upstream") / "g.sqlite"
    settings = make_settings(redis_server["url"][:-1] + "8", f"sqlite:///{db}", issuer, provincial={
        "enabled": True, "base_url": sim["base_url"], "app_mark": "WFTYSFRZ",
        "app_word": app_word(seed, "WFTYSFRZ"), "connect_timeout": 1.0, "read_timeout": READ_TIMEOUT},
        ldap={"directories": [_toml(d) for d in dirs]})
    app = build_app(settings)
    svc = app.extensions["gateway"]
    svc.accounts.create("localuser", "Local-Pass-2026", name="本地用户")
    record, secret = svc.clients.create(name="门户", redirect_uris=["https://p.weifang.example/cb"],
                                        scope="openid profile", first_party=True)
    rp = {"client_id": record.client_id, "client_secret": secret, "redirect_uri": "https://p.weifang.example/cb"}
    with serving(app, port):
        yield issuer, sim, rp
    svc.audit.stop()
    hole.stop()
    stop_slapd(slapd)
    stop(sim)


def faults(sim, **switches):
    body = {"slow_seconds": 0, "busy": False, "backchannel_down": False, **switches}
    requests.post(sim["base_url"] + "/__sim__/faults", json=body, timeout=5).raise_for_status()


def local_ok(issuer) -> float:
    t0 = time.time()
    http = requests.Session()
    r = login(http, issuer, {"username": "localuser", "password": "Local-Pass-2026"}, timeout=5)
    assert r.status_code == 302 and not r.headers["Location"].startswith("/login"), r.headers.get("Location")
    return time.time() - t0


def staff(issuer, directory, username, password) -> tuple[float, str]:
    t0 = time.time()
    http = requests.Session()
    page = http.get(f"{issuer}/login", timeout=5)
    r = http.post(f"{issuer}/login/staff", data={"csrf_token": csrf_of(page.text), "directory": directory,
                                                  "username": username, "password": password}, timeout=10)
    return time.time() - t0, r.text


def provincial(issuer, rp, login_name="zhangsan01") -> tuple[float, requests.Response]:
    t0 = time.time()
    url, _ = authorize_url(rp)
    r = ChainBrowser().run(issuer + url, stop_at=rp["redirect_uri"], login=login_name)
    return time.time() - t0, r


def _in_background(fn, *args):
    out = {}
    t = threading.Thread(target=lambda: out.update(result=fn(*args)))
    t.start()
    return t, out


@pytest.mark.parametrize("fault", [{"slow_seconds": 5}, {"busy": True}])
def test_province_slow_or_busy_answers_in_time_while_other_methods_work(gateway, fault):
    issuer, sim, rp = gateway
    faults(sim, **fault)
    try:
        t, out = _in_background(provincial, issuer, rp)
        time.sleep(0.3)  # the province call is in flight now
        local = local_ok(issuer)
        staff_time, page = staff(issuer, "scjg", "wangfang", "wangfang-Pw1!")
        assert "flash error" not in page and "您已登录" in page
        t.join(15)
        elapsed, r = out["result"]
        assert not hasattr(r, "final_url"), "a login succeeded against a failing province"
        assert "省统一身份认证系统暂时不可用" in r.text
        assert elapsed < READ_TIMEOUT + 3, elapsed
        assert local < 1.5 and staff_time < 1.5, (local, staff_time)
        record_figure(f"province {fault}", f"error page after {elapsed:.2f} s (read timeout {READ_TIMEOUT} s); "
                      f"meanwhile local login {local:.2f} s, directory login {staff_time:.2f} s")
    finally:
        faults(sim)


def test_hung_directory_answers_in_time_while_other_methods_work(gateway):
    issuer, sim, rp = gateway
    faults(sim)
    t, out = _in_background(staff, issuer, "rsj", "zhangwei", "zhangwei-Pw1!")
    time.sleep(0.2)
    local = local_ok(issuer)
    other_time, other_page = staff(issuer, "scjg", "wangfang", "wangfang-Pw1!")
    prov_time, prov = provincial(issuer, rp)
    t.join(15)
    elapsed, page = out["result"]
    assert "该部门目录服务暂时不可用" in page
    assert elapsed < 4, elapsed
    assert "flash error" not in other_page and other_time < 1.5
    assert hasattr(prov, "final_url") and local < 1.5
    record_figure("hung directory", f"error page after {elapsed:.2f} s (connect 1 s + receive 1 s); meanwhile "
                  f"local {local:.2f} s, other directory {other_time:.2f} s, provincial chain {prov_time:.2f} s")
