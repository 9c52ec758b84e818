"""With Redis down, pages and endpoints answer 503 with a clear message — never a 500."""

from __future__ import annotations

import pytest

from tests.conftest import build_app, make_settings
from tests.helpers import basic
from tests.services.redis import free_port, start_redis, stop_redis


@pytest.fixture
def redis_app(tmp_path, redis_server):
    info = start_redis(tmp_path / "r")
    settings = make_settings(info["url"], f"sqlite:///{tmp_path}/g.sqlite", "http://127.0.0.1:5000",
                             redis_socket_timeout=0.3)
    app = build_app(settings)
    yield app, info
    stop_redis(info)


def test_redis_down_gives_503_then_recovers(redis_app, tmp_path):
    app, info = redis_app
    svc = app.extensions["gateway"]
    record, secret = svc.clients.create(name="门户", redirect_uris=["https://x.weifang.example/cb"],
                                        grant_types=["authorization_code", "client_credentials"])
    rp = {"client_id": record.client_id, "client_secret": secret}
    client = app.test_client()
    assert client.get("/login").status_code == 200
    stop_redis(info)
    r = client.get("/login")
    assert r.status_code == 503 and "服务暂时不可用" in r.get_data(as_text=True)
    assert r.headers["Retry-After"]
    r = client.get("/authorize?response_type=code&client_id=" + record.client_id +
                   "&redirect_uri=https://x.weifang.example/cb&scope=openid&state=s")
    assert r.status_code == 503
    r = client.post("/token", data={"grant_type": "client_credentials"}, headers=basic(rp))
    assert r.status_code in (200, 503)  # client_credentials needs no Redis except the audit queue fallback
    assert client.get("/.well-known/openid-configuration").status_code == 200
    assert client.get("/jwks").status_code == 200
    # Redis comes back on the same port: service resumes by itself
    restarted = start_redis(info["dir"], port=info["port"])
    try:
        assert client.get("/login").status_code == 200
    finally:
        stop_redis(restarted)


def test_unreachable_redis_port_never_500(tmp_path):
    settings = make_settings(f"redis://127.0.0.1:{free_port()}/0", f"sqlite:///{tmp_path}/g.sqlite",
                             "http://127.0.0.1:5000", redis_socket_timeout=0.2)
    app = build_app(settings)
    client = app.test_client()
    for path in ("/login", "/consent?tx=abc", "/authorize/continue?tx=abc"):
        r = client.get(path)
        assert r.status_code == 503, (path, r.status_code)
