"""Fixtures: the test OP (a real HTTP server), a real redis-server, configured clients."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sso_client import ClientConfig, Discovery, MemorySessionStore, OIDCClient

# The directory is put on sys.path (the repository runs pytest with --import-mode=importlib),
# so helpers are imported by unique plain names rather than as a "tests" package.
sys.path.insert(0, str(Path(__file__).resolve().parent))

from op import TestOP  # noqa: E402

REQUIRE = os.environ.get("REQUIRE_SERVICES") == "1"


class FakeClock:
    """A monotonic clock tests can move forward."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture(scope="session")
def op_server() -> Iterator[TestOP]:
    op = TestOP()
    yield op
    op.stop()


@pytest.fixture
def op(op_server: TestOP) -> TestOP:
    op_server.reset()
    return op_server


@pytest.fixture
def config(op: TestOP) -> ClientConfig:
    return ClientConfig(
        issuer=op.issuer,
        client_id="portal",
        client_secret="portal-secret",
        redirect_uri="http://localhost/sso/callback",
        post_logout_redirect_uri="http://localhost/",
        scope="openid profile",
    )


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def client(config: ClientConfig, clock: FakeClock) -> OIDCClient:
    return OIDCClient(config, discovery=Discovery(config.issuer, clock=clock))


@pytest.fixture
def store() -> MemorySessionStore:
    return MemorySessionStore()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    exe = "/usr/bin/redis-server"
    if not (os.path.exists(exe) or shutil.which("redis-server")):
        (pytest.fail if REQUIRE else pytest.skip)("redis-server not installed")
    import redis

    d: Path = tmp_path_factory.mktemp("redis")
    port = _free_port()
    log = d / "redis.log"
    proc = subprocess.Popen(
        [exe, "--bind", "127.0.0.1", "--port", str(port), "--dir", str(d), "--save", "",
         "--appendonly", "no", "--daemonize", "no", "--logfile", str(log)],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.time() + 15
        while True:
            try:
                if redis.Redis(port=port, socket_timeout=0.5).ping():
                    break
            except redis.RedisError:
                if proc.poll() is not None or time.time() > deadline:
                    output = log.read_text() if log.exists() else ""
                    raise RuntimeError(f"redis-server did not start:\n{output}") from None
                time.sleep(0.05)
        yield {"url": f"redis://127.0.0.1:{port}/0", "port": port}
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@pytest.fixture
def redis_client(redis_server: dict[str, Any]) -> Iterator[Any]:
    import redis

    r = redis.Redis.from_url(redis_server["url"])
    yield r
    r.flushdb()
    r.close()


@pytest.fixture
def portal(op: TestOP, client: OIDCClient, store: MemorySessionStore) -> Any:
    """A department portal using the Flask extension; returns (app, sso)."""
    from flask import Flask

    from sso_client.flask import SSO, current_sso_user

    app = Flask("portal")
    app.secret_key = "test-secret"
    app.testing = True
    sso = SSO(app, client=client, session_store=store)

    @app.route("/")
    def index() -> Any:
        return {"user": current_sso_user["sub"] if current_sso_user else None}

    @app.route("/private")
    @sso.login_required
    def private() -> Any:
        return {"sub": sso.user["sub"], "acr": sso.user.get("acr")}

    @app.route("/high")
    @sso.require_acr("urn:sd:tysfrz:loa:2")
    def high() -> Any:
        return {"acr": current_sso_user["acr"]}

    @app.route("/token")
    @sso.login_required
    def token() -> Any:
        return {"access_token": sso.get_access_token()}

    return app, sso

