"""Shared fixtures: a real redis-server, a migrated SQLite database, the gateway app.

Services are real processes on free loopback ports. A missing binary skips the tests that need it
locally, and fails them when REQUIRE_SERVICES=1 (CI), so CI cannot go green by skipping.
"""

from __future__ import annotations

import base64
import os
import secrets
import tempfile
from pathlib import Path

import pytest

from tests.services.redis import free_port, redis_binary, start_redis, stop_redis

REQUIRE = os.environ.get("REQUIRE_SERVICES") == "1"
LOG_DIR = Path(os.environ.get("GATEWAY_TEST_LOG_DIR", tempfile.gettempdir())) / "gateway-test-logs"


def need(ok: bool, what: str) -> None:
    if not ok:
        (pytest.fail if REQUIRE else pytest.skip)(f"{what} not installed")


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory):
    need(redis_binary() is not None, "redis-server")
    info = start_redis(tmp_path_factory.mktemp("redis"))
    yield info
    stop_redis(info)


def make_settings(redis_url: str, database_url: str, issuer: str, **overrides):
    from gateway.settings import Settings

    data = {
        "issuer": issuer, "secret_key": secrets.token_urlsafe(48),
        "data_key": base64.b64encode(os.urandom(32)).decode(), "database_url": database_url,
        "redis_url": redis_url, "testing": True, "log_json": True,
    }
    for key, value in overrides.items():
        data[key] = value
    # The suite logs in hundreds of times a minute from 127.0.0.1: production rate limits would
    # refuse it. tests/hardening sets real limits where it tests them.
    data["security"] = {"login_rate_per_ip": "100000/minute", "login_rate_per_account": "100000/minute",
                        **data.get("security", {})}
    return Settings.from_mapping(data)


def build_app(settings, clock=None):
    from gateway import create_app
    from gateway.migrate import upgrade

    upgrade(settings.database_url)
    app = create_app(settings, **({"clock": clock} if clock else {}))
    svc = app.extensions["gateway"]
    t = settings.tokens
    svc.keys.ensure(t.access_token_lifetime + t.key_retire_grace)
    return app


@pytest.fixture(scope="session")
def postgres_server():
    from tests.services.postgres import pg_bin, start_postgres, stop_postgres

    need(pg_bin() is not None, "postgresql")
    info = start_postgres()
    yield info
    stop_postgres(info)


@pytest.fixture(scope="session")
def database_url(request, tmp_path_factory):
    """SQLite by default; the whole suite runs on PostgreSQL with GATEWAY_TEST_DATABASE=postgresql."""
    if os.environ.get("GATEWAY_TEST_DATABASE") == "postgresql":
        from tests.services.postgres import create_database

        return create_database(request.getfixturevalue("postgres_server"), "gateway_tests")
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'gateway.sqlite'}"


@pytest.fixture(scope="session")
def gateway_port():
    return free_port()


@pytest.fixture(scope="session")
def app(redis_server, database_url, gateway_port):
    settings = make_settings(redis_server["url"], database_url, f"http://127.0.0.1:{gateway_port}")
    application = build_app(settings)
    yield application
    application.extensions["gateway"].audit.stop()


@pytest.fixture(scope="session")
def live_gateway(app, gateway_port):
    """The same app served over real HTTP (for RP libraries and the SDK)."""
    from tests.services.live import serving

    with serving(app, gateway_port):
        yield app.extensions["gateway"].settings.issuer


@pytest.fixture
def svc(app):
    return app.extensions["gateway"]


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def rp(svc):
    """A confidential relying party registered for the test; returns (client_id, secret, redirect_uri)."""
    redirect_uri = f"https://portal-{secrets.token_hex(3)}.weifang.example/callback"
    record, secret = svc.clients.create(
        name="测试门户", department="市大数据局", redirect_uris=[redirect_uri],
        post_logout_redirect_uris=["https://portal.weifang.example/bye"],
        grant_types=["authorization_code", "refresh_token", "client_credentials"],
        scope="openid profile email phone offline_access", first_party=True)
    return {"client_id": record.client_id, "client_secret": secret, "redirect_uri": redirect_uri}


@pytest.fixture
def user(svc):
    username = "u" + secrets.token_hex(4)
    password = "Pw-" + secrets.token_hex(6)
    svc.accounts.create(username, password, name="测试用户", email=f"{username}@weifang.example")
    return {"username": username, "password": password}
