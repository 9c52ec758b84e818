"""/healthz, /readyz and /metrics: what a load balancer and Prometheus see."""

from __future__ import annotations

import re

from tests.helpers import basic, get_code, redeem


def _value(text: str, name: str, **labels) -> float:
    total = 0.0
    for line in text.splitlines():
        if line.startswith(name + "{") or line.startswith(name + " "):
            if all(f'{k}="{v}"' in line for k, v in labels.items()):
                total += float(line.rsplit(" ", 1)[1])
    return total


def test_health_and_readiness(make_app):
    app = make_app()
    client = app.test_client()
    r = client.get("/healthz")
    assert r.status_code == 200 and r.json["status"] == "ok"
    r = client.get("/readyz")
    assert r.status_code == 200 and r.json["checks"] == {"redis": "ok", "database": "ok"}
    assert "Set-Cookie" not in r.headers


def test_readiness_fails_when_the_database_is_gone(make_app, tmp_path):
    app = make_app()
    svc = app.extensions["gateway"]
    if not svc.db.url.startswith("sqlite"):
        import pytest

        pytest.skip("corrupts a SQLite file; on PostgreSQL the Redis/DB probes are the same code")
    path = svc.db.engine.url.database
    svc.db.engine.dispose()
    with open(path, "wb") as fh:
        fh.write(b"not a database" * 100)
    r = app.test_client().get("/readyz")
    assert r.status_code == 503 and r.json["checks"]["database"] == "unavailable"
    assert app.test_client().get("/healthz").status_code == 200


def test_readiness_fails_when_redis_is_gone(make_app):
    from tests.services.redis import free_port

    app = make_app(redis_url=f"redis://127.0.0.1:{free_port()}/0", redis_socket_timeout=0.2)
    r = app.test_client().get("/readyz")
    assert r.status_code == 503 and r.json["checks"] == {"redis": "unavailable", "database": "ok"}
    before = app.test_client().get("/metrics").get_data(as_text=True)
    assert "gateway_redis_up 0.0" in before
    assert app.test_client().get("/login").status_code == 503
    after = app.test_client().get("/metrics").get_data(as_text=True)
    assert _value(after, "gateway_redis_errors_total", component="request") > \
        _value(before, "gateway_redis_errors_total", component="request")


def test_metrics_count_logins_tokens_latency_and_logout_deliveries(make_app):
    app = make_app()
    svc = app.extensions["gateway"]
    client = app.test_client()
    before = client.get("/metrics").get_data(as_text=True)
    svc.accounts.create("metered", "Meter-Pass-2026", name="x")
    record, secret = svc.clients.create(name="门户", redirect_uris=["https://m.weifang.example/cb"],
                                        grant_types=["authorization_code", "client_credentials"], first_party=True)
    rp = {"client_id": record.client_id, "client_secret": secret, "redirect_uri": "https://m.weifang.example/cb"}
    code, params = get_code(client, rp, {"username": "metered", "password": "Meter-Pass-2026"})
    assert redeem(client, rp, code, params).status_code == 200
    assert client.post("/token", data={"grant_type": "client_credentials"}, headers=basic(rp)).status_code == 200
    from tests.helpers import csrf_of

    csrf = csrf_of(client.get("/login").get_data(as_text=True))
    client.post("/login/local", data={"csrf_token": csrf, "username": "metered", "password": "nope"})
    r = client.get("/metrics")
    assert r.status_code == 200 and r.mimetype == "text/plain"
    text = r.get_data(as_text=True)

    def grew(name, by=1, **labels):
        assert _value(text, name, **labels) - _value(before, name, **labels) >= by, (name, labels)

    grew("gateway_logins_total", method="local", result="success")
    grew("gateway_logins_total", method="local", result="failure")
    grew("gateway_tokens_issued_total", grant_type="authorization_code")
    grew("gateway_tokens_issued_total", grant_type="client_credentials")
    grew("gateway_http_request_duration_seconds_count", endpoint="oidc.token", by=2)
    grew("gateway_http_requests_total", endpoint="oidc.token", status="2xx", by=2)
    assert re.search(r'gateway_logout_deliveries\{state="pending"\} \d', text)
    assert re.search(r'gateway_logout_deliveries\{state="failed"\} \d', text)
    assert "gateway_redis_up 1.0" in text
    # nothing personal or secret in the exposition
    assert "metered" not in text and secret not in text


def test_metrics_aggregate_every_gunicorn_worker_in_multiprocess_mode(make_app, tmp_path):
    import requests

    from tests.hardening.conftest import GatewayProcess, settings_env
    from tests.services.redis import free_port

    app = make_app()
    svc = app.extensions["gateway"]
    record, secret = svc.clients.create(name="门户", redirect_uris=["https://m.weifang.example/cb"],
                                        grant_types=["client_credentials"])
    port = free_port()
    mdir = tmp_path / "prom"
    mdir.mkdir()
    gw = GatewayProcess(settings_env(svc.settings.replace(issuer=f"http://127.0.0.1:{port}"), port, workers=3,
                                     threads=2, PROMETHEUS_MULTIPROC_DIR=str(mdir)), port, tmp_path / "gw.log").start()
    try:
        pids = set()
        for _ in range(30):
            r = requests.post(f"{gw.base}/token", data={"grant_type": "client_credentials"},
                              auth=(record.client_id, secret), timeout=5)
            assert r.status_code == 200
        for _ in range(12):
            pids.add(requests.get(f"{gw.base}/healthz", timeout=5).json()["pid"])
        totals = {_value(requests.get(f"{gw.base}/metrics", timeout=5).text, "gateway_tokens_issued_total",
                         grant_type="client_credentials") for _ in range(9)}
        assert totals == {30.0}, totals  # the same total whichever worker answers the scrape
        assert len(list(mdir.iterdir())) >= 2  # several workers wrote their own files
    finally:
        gw.stop()
