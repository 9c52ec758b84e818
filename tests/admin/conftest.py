"""Admin tests run on their own app (own Redis DB 6, own SQLite file) with a clock the tests can
move forward: TOTP codes are single-use per 30-second step, and idle timeouts need time to pass."""

from __future__ import annotations

import base64
import secrets
import time

import pytest
from cryptography.hazmat.primitives.hashes import SHA1
from cryptography.hazmat.primitives.twofactor.totp import TOTP

from tests.conftest import build_app, make_settings
from tests.services.redis import free_port


class Clock:
    def __init__(self):
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += seconds


@pytest.fixture(scope="session")
def clock():
    return Clock()


@pytest.fixture(scope="session")
def admin_port():
    return free_port()


@pytest.fixture(scope="session")
def admin_app(redis_server, tmp_path_factory, clock, admin_port):
    settings = make_settings(redis_server["url"][:-1] + "6",
                             f"sqlite:///{tmp_path_factory.mktemp('admin-db') / 'gateway.sqlite'}",
                             f"http://127.0.0.1:{admin_port}")
    application = build_app(settings, clock=clock)
    application.extensions["gateway"].redis.flushdb()
    yield application
    application.extensions["gateway"].audit.stop()


@pytest.fixture(scope="session")
def live_admin(admin_app, admin_port):
    from tests.services.live import serving

    with serving(admin_app, admin_port):
        yield admin_app.extensions["gateway"].settings.issuer


@pytest.fixture
def asvc(admin_app):
    return admin_app.extensions["gateway"]


@pytest.fixture
def aclient(admin_app):
    return admin_app.test_client()


def totp_now(secret_b32: str, at: float) -> str:
    secret = base64.b32decode(secret_b32 + "=" * (-len(secret_b32) % 8))
    return TOTP(secret, 6, SHA1(), 30).generate(at).decode()


def make_admin(app, clock, role: str | None, enrol: bool = True, roles: tuple = ()) -> dict:
    """A local account with an admin role (system | security | audit) and, by default, TOTP enrolled."""
    svc = app.extensions["gateway"]
    username = f"{role or 'user'}-{secrets.token_hex(3)}"
    password = "Adm1n-" + secrets.token_hex(6)
    user = svc.accounts.create(username, password, name=f"测试{role or '用户'}",
                               roles=roles or ((f"{role}_admin",) if role else ()))
    admin = {"username": username, "password": password, "user_id": user.id, "secret": None, "codes": []}
    if enrol:
        mfa = app.extensions["gateway_admin"].mfa
        secret, _ = mfa.begin(user.id, username)
        clock.advance(30)
        admin["secret"] = secret
        admin["codes"] = mfa.confirm(user.id, totp_now(secret, clock()))
    return admin


def next_code(admin: dict, clock) -> str:
    """A code for a step not used before (time moves on by one step)."""
    clock.advance(30)
    return totp_now(admin["secret"], clock())


@pytest.fixture
def make(admin_app, clock):
    return lambda role, **kw: make_admin(admin_app, clock, role, **kw)


def api_client(svc, role: str) -> dict:
    """An admin API client (registered the way the operator does it) for one role."""
    rp, secret = svc.clients.create(name=f"自动化-{role}", grant_types=["client_credentials"],
                                    scope=f"admin:{role}", department="市大数据局")
    return {"client_id": rp.client_id, "client_secret": secret, "scope": f"admin:{role}"}


def token_for(client, api: dict, scope: str | None = None) -> str:
    raw = f"{api['client_id']}:{api['client_secret']}".encode()
    r = client.post("/token", data={"grant_type": "client_credentials", "scope": scope or api.get("scope", "")},
                    headers={"Authorization": "Basic " + base64.b64encode(raw).decode()})
    assert r.status_code == 200, r.get_data(as_text=True)
    return r.get_json()["access_token"]


@pytest.fixture
def bearer(admin_app, aclient):
    """bearer(role) -> headers with a fresh token for an API client of that role."""
    svc = admin_app.extensions["gateway"]
    cache: dict[str, dict] = {}

    def get(role: str) -> dict:
        if role not in cache:
            cache[role] = api_client(svc, role)
        return {"Authorization": "Bearer " + token_for(aclient, cache[role])}

    return get
