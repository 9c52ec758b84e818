"""Rate limits on every credential-taking endpoint: per source IP and per account/client, 429 + Retry-After."""

from __future__ import annotations

import base64

from tests.helpers import basic, csrf_of
from tests.services.redis import free_port


def _login_form(client):
    return csrf_of(client.get("/login").get_data(as_text=True))


def _post_login(client, csrf, username, password="wrong-Pass-1", ip="10.0.0.1", path="/login/local", **extra):
    return client.post(path, data={"csrf_token": csrf, "username": username, "password": password, **extra},
                       environ_base={"REMOTE_ADDR": ip})


def test_login_form_is_limited_per_source_ip_with_a_page_and_retry_after(make_app):
    app = make_app(security={"login_rate_per_ip": "3/minute"})
    client = app.test_client()
    csrf = _login_form(client)
    for i in range(3):
        assert _post_login(client, csrf, f"nobody{i}").status_code == 302
    r = _post_login(client, csrf, "nobody-else")
    assert r.status_code == 429
    assert r.mimetype == "text/html" and "请求过于频繁" in r.get_data(as_text=True)
    assert 1 <= int(r.headers["Retry-After"]) <= 60
    assert r.headers["Cache-Control"] == "no-store"
    # another source address still has its budget; the staff form shares the per-IP budget
    assert _post_login(client, csrf, "nobody", ip="10.0.0.2").status_code == 302
    assert _post_login(client, csrf, "x", path="/login/staff", directory="rsj").status_code == 429


def test_login_form_is_limited_per_account_across_addresses(make_app, svc):
    app = make_app(security={"login_rate_per_account": "2/minute"})
    client = app.test_client()
    csrf = _login_form(client)
    assert _post_login(client, csrf, "Victim", ip="10.1.0.1").status_code == 302
    assert _post_login(client, csrf, "victim", ip="10.1.0.2").status_code == 302
    assert _post_login(client, csrf, "victim ", ip="10.1.0.3").status_code == 429  # same account, new address
    assert _post_login(client, csrf, "someone-else", ip="10.1.0.3").status_code == 302


def test_a_correct_password_is_refused_too_once_the_limit_is_reached(make_app):
    app = make_app(security={"login_rate_per_account": "2/minute"})
    svc = app.extensions["gateway"]
    svc.accounts.create("ratelimited", "Right-Pass-2026", name="x")
    client = app.test_client()
    csrf = _login_form(client)
    _post_login(client, csrf, "ratelimited")
    _post_login(client, csrf, "ratelimited")
    r = _post_login(client, csrf, "ratelimited", password="Right-Pass-2026")
    assert r.status_code == 429 and "Location" not in r.headers
    svc.audit.flush()
    from sqlalchemy import select

    from gateway.audit.models import AuditEvent

    with svc.db.session() as s:
        assert not s.scalars(select(AuditEvent).where(AuditEvent.event == "login.success")).all()


def _rp(svc, name="门户"):
    record, secret = svc.clients.create(name=name, redirect_uris=["https://x.weifang.example/cb"],
                                        grant_types=["authorization_code", "client_credentials"])
    return {"client_id": record.client_id, "client_secret": secret}


def test_token_endpoint_is_limited_per_client_with_json(make_app):
    app = make_app(security={"token_rate_per_client": "3/minute"})
    svc = app.extensions["gateway"]
    a, b = _rp(svc), _rp(svc, "另一门户")
    client = app.test_client()
    for i in range(3):
        r = client.post("/token", data={"grant_type": "client_credentials"}, headers=basic(a),
                        environ_base={"REMOTE_ADDR": f"10.2.0.{i}"})
        assert r.status_code == 200, r.get_data(as_text=True)
    r = client.post("/token", data={"grant_type": "client_credentials"}, headers=basic(a),
                    environ_base={"REMOTE_ADDR": "10.2.0.9"})
    assert r.status_code == 429 and r.is_json and r.json["error"] == "too_many_requests"
    assert int(r.headers["Retry-After"]) >= 1 and "access_token" not in r.get_data(as_text=True)
    # guessing with a wrong secret counts against the named client too (client_secret_post form)
    r = client.post("/token", data={"grant_type": "client_credentials", "client_id": a["client_id"],
                                    "client_secret": "guess"})
    assert r.status_code == 429
    assert client.post("/token", data={"grant_type": "client_credentials"}, headers=basic(b)).status_code == 200


def test_introspect_and_revoke_are_limited_per_source_ip(make_app):
    app = make_app(security={"token_rate_per_ip": "4/minute"})
    svc = app.extensions["gateway"]
    rp = _rp(svc)
    client = app.test_client()
    statuses = [client.post(path, data={"token": "x"}, headers=basic(rp), environ_base={"REMOTE_ADDR": "10.3.0.1"}
                            ).status_code for path in ("/introspect", "/revoke", "/introspect", "/revoke", "/revoke")]
    assert statuses[:4] == [200, 200, 200, 200] and statuses[4] == 429
    assert client.post("/token", data={"grant_type": "client_credentials"}, headers=basic(rp),
                       environ_base={"REMOTE_ADDR": "10.3.0.1"}).status_code == 429
    assert client.post("/introspect", data={"token": "x"}, headers=basic(rp),
                       environ_base={"REMOTE_ADDR": "10.3.0.2"}).status_code == 200


def test_forwarded_for_is_used_only_behind_trusted_proxies(make_app):
    app = make_app(security={"login_rate_per_ip": "2/minute", "trusted_proxies": 1})
    client = app.test_client()
    csrf = _login_form(client)
    for i in range(4):  # four real clients behind the load balancer: each has its own budget
        r = client.post("/login/local", data={"csrf_token": csrf, "username": "u", "password": "p"},
                        headers={"X-Forwarded-For": f"203.0.113.{i}"})
        assert r.status_code == 302
    spoofed = [client.post("/login/local", data={"csrf_token": csrf, "username": "u", "password": "p"},
                           headers={"X-Forwarded-For": "1.1.1.1, 198.51.100.7"}).status_code for _ in range(3)]
    assert spoofed == [302, 302, 429]  # the hop the proxy added counts, not what the client wrote


def test_limits_can_be_switched_off(make_app):
    app = make_app(security={"login_rate_per_ip": "1/minute", "rate_limits_enabled": False})
    client = app.test_client()
    csrf = _login_form(client)
    assert [_post_login(client, csrf, "u").status_code for _ in range(3)] == [302, 302, 302]


def test_limiter_fails_open_without_500_when_its_redis_is_gone(make_app):
    app = make_app(redis_url=f"redis://127.0.0.1:{free_port()}/0", redis_socket_timeout=0.2,
                   security={"token_rate_per_client": "1/minute"})
    svc = app.extensions["gateway"]
    rp = _rp(svc)
    client = app.test_client()
    # client_credentials needs no Redis: it keeps working, unlimited (documented trade-off)
    for _ in range(3):
        assert client.post("/token", data={"grant_type": "client_credentials"}, headers=basic(rp)).status_code == 200
    # the login form needs the session store: 503, never 500
    assert client.get("/login").status_code == 503
    assert client.post("/login/local", data={"username": "u", "password": "p"}).status_code in (400, 503)
    auth = base64.b64encode(b"x:y").decode()
    assert client.post("/introspect", data={"token": "a.b.c"}, headers={"Authorization": f"Basic {auth}"}
                       ).status_code in (401, 503)


def test_admin_console_login_shares_the_login_budget(make_app):
    app = make_app(security={"login_rate_per_account": "2/minute"})
    if "admin.login_post" not in app.view_functions:
        import pytest

        pytest.skip("admin console not registered")
    client = app.test_client()
    page = client.get("/admin/login")
    csrf = csrf_of(page.get_data(as_text=True))
    statuses = [client.post("/admin/login", data={"csrf_token": csrf, "username": "root", "password": "x"},
                            environ_base={"REMOTE_ADDR": f"10.4.0.{i}"}).status_code for i in range(3)]
    assert statuses[:2] != [429, 429] and statuses[2] == 429
