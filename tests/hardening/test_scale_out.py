"""Stateless workers: two gateway processes share Redis + SQL; a worker SIGKILLed mid-request changes nothing."""

from __future__ import annotations

import os
import signal
import threading

import pytest
import requests

from tests.hardening.conftest import GatewayProcess, record_figure, settings_env
from tests.hardening.flows import code_via, logout, redeem, refresh, seed
from tests.services.redis import free_port
from tests.helpers import wait_until


@pytest.fixture
def two_gateways(make_app, tmp_path):
    app = make_app()
    svc = app.extensions["gateway"]
    user, rp = seed(svc)
    pa, pb = free_port(), free_port()
    settings = svc.settings.replace(issuer=f"http://127.0.0.1:{pa}")  # one issuer behind a load balancer
    procs = [GatewayProcess(settings_env(settings, port, workers=1), port, tmp_path / f"gw{port}.log").start()
             for port in (pa, pb)]
    yield procs, user, rp
    for p in procs:
        p.stop()


def test_log_in_through_one_process_continue_through_the_other(two_gateways):
    (a, b), user, rp = two_gateways
    http = requests.Session()
    code, params = code_via(http, [a.base, b.base], rp, user)  # /authorize at A, login at B, continue at A …
    tokens = redeem(b.base, rp, code, params)
    assert tokens.status_code == 200, tokens.text
    tokens = tokens.json()
    info = requests.get(f"{a.base}/userinfo", headers={"Authorization": f"Bearer {tokens['access_token']}"}, timeout=5)
    assert info.status_code == 200 and info.json()["sub"]
    assert refresh(a.base, rp, tokens["refresh_token"]).status_code == 200
    assert redeem(a.base, rp, code, params).status_code == 400  # the code was used at B
    code2, _ = code_via(http, [b.base], rp, None)  # SSO session made at A/B: no login at B
    assert code2
    assert logout(http, a.base).status_code in (302, 303, 200)
    after = http.get(f"{b.base}/authorize?response_type=code&client_id={rp['client_id']}&redirect_uri="
                     f"{rp['redirect_uri']}&scope=openid&state=s", allow_redirects=False, timeout=5)
    assert "/login" in after.headers["Location"]  # logged out everywhere
    info = requests.get(f"{b.base}/userinfo", headers={"Authorization": f"Bearer {tokens['access_token']}"}, timeout=5)
    assert info.status_code == 401


def test_worker_sigkilled_mid_request_others_keep_serving_and_nothing_is_usable_twice(make_app, tmp_path):
    app = make_app()
    svc = app.extensions["gateway"]
    user, rp = seed(svc)
    port = free_port()
    gw = GatewayProcess(settings_env(svc.settings.replace(issuer=f"http://127.0.0.1:{port}"), port, workers=3,
                                     threads=1), port, tmp_path / "gw.log").start()
    try:
        http = requests.Session()
        codes = [code_via(http, [gw.base], rp, user if i == 0 else None) for i in range(36)]
        successes: dict[str, int] = {}
        refresh_tokens: list[str] = []
        errors: list[str] = []
        lock = threading.Lock()

        def redeem_all(chunk):
            for code, params in chunk:
                try:
                    r = redeem(gw.base, rp, code, params)
                except requests.RequestException as exc:  # the killed worker's request
                    with lock:
                        errors.append(type(exc).__name__)
                    continue
                assert r.status_code in (200, 400), (r.status_code, r.text)
                if r.status_code == 200:
                    with lock:
                        successes[code] = successes.get(code, 0) + 1
                        refresh_tokens.append(r.json()["refresh_token"])

        threads = [threading.Thread(target=redeem_all, args=(codes[i::6],)) for i in range(6)]
        for t in threads:
            t.start()
        wait_until(lambda: len(successes) >= 2, 10, "no redemption got through before the kill")
        victim = gw.worker_pids()[0]
        os.kill(victim, signal.SIGKILL)
        for t in threads:
            t.join(60)
        assert len(successes) >= 24, (len(successes), errors)  # the other workers kept serving
        # gunicorn replaces the worker; every code is now spent, whatever happened to its first use
        wait_until(lambda: len(gw.worker_pids()) >= 3, 15, "gunicorn did not replace the killed worker")
        for code, params in codes:
            first = successes.get(code, 0)
            again = redeem(gw.base, rp, code, params)
            if again.status_code == 200:  # only a code whose first use died before it was taken
                assert first == 0, "a code was usable twice"
                again = redeem(gw.base, rp, code, params)
            assert again.status_code == 400
        # refresh tokens: rotate them concurrently while another worker is killed; none works twice
        used: dict[str, int] = {}
        attempts: list[str] = []

        def rotate(chunk):
            for token in chunk:
                try:
                    r = refresh(gw.base, rp, token)
                except requests.RequestException:
                    continue
                finally:
                    attempts.append(token)
                if r.status_code == 200:
                    with lock:
                        used[token] = used.get(token, 0) + 1

        threads = [threading.Thread(target=rotate, args=(refresh_tokens[i::4],)) for i in range(4)]
        for t in threads:
            t.start()
        wait_until(lambda: len(attempts) >= 1, 10, "no refresh was attempted before the kill")
        os.kill(gw.worker_pids()[-1], signal.SIGKILL)
        for t in threads:
            t.join(60)
        assert all(n == 1 for n in used.values())
        for token in refresh_tokens:
            if token in used:
                assert refresh(gw.base, rp, token).status_code == 400
        assert requests.get(gw.base + "/healthz", timeout=5).status_code == 200
        record_figure("worker SIGKILL", f"{len(errors)} in-flight request(s) lost of {len(codes)}, "
                                        f"{len(successes)} codes redeemed, no code or refresh token usable twice")
    finally:
        gw.stop()
