"""Fixtures for the hardening tests: apps with real limits, gateway processes, measured figures.

Apps built here use Redis database 7 of the session ``redis_server`` (flushed per app) or a
redis-server / Sentinel / Cluster of their own; gateway processes are real gunicorn processes.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis
import requests

from tests.conftest import LOG_DIR, build_app, make_settings
from tests.helpers import wait_until

ROOT = Path(__file__).resolve().parents[2]
FIGURES: list[tuple[str, str]] = []


def record_figure(name: str, value: str) -> None:
    """A measured figure (failover seconds …): printed in the test summary and kept in the log dir."""
    FIGURES.append((name, value))
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    with open(LOG_DIR / "hardening-figures.txt", "a", encoding="utf-8") as fh:
        fh.write(f"{time.strftime('%Y-%m-%dT%H:%M:%S')} {name}: {value}\n")


def pytest_terminal_summary(terminalreporter):
    if FIGURES:
        terminalreporter.section("hardening: measured figures")
        for name, value in FIGURES:
            terminalreporter.write_line(f"{name}: {value}")


@pytest.fixture
def make_app(redis_server, request, tmp_path):
    """Build an app with real limits (and any overrides) on Redis DB 7, flushed first.

    Each app gets a database of its own: a SQLite file, or a fresh PostgreSQL database when the
    suite runs with GATEWAY_TEST_DATABASE=postgresql.
    """
    built = []

    def make(redis_url: str | None = None, **overrides):
        url = redis_url or redis_server["url"][:-1] + "7"
        if redis_url is None:
            redis.Redis.from_url(url).flushdb()
        if os.environ.get("GATEWAY_TEST_DATABASE") == "postgresql":
            from tests.services.postgres import create_database

            db = create_database(request.getfixturevalue("postgres_server"), f"h{secrets.token_hex(6)}")
        else:
            db = f"sqlite:///{tmp_path}/g{len(built)}.sqlite"
        security = {"login_rate_per_ip": "1000/minute", "login_rate_per_account": "1000/minute",
                    **overrides.pop("security", {})}
        settings = make_settings(url, db, overrides.pop("issuer", "http://127.0.0.1:5000"), security=security,
                                 **overrides)
        app = build_app(settings)
        built.append(app)
        return app

    yield make
    for app in built:
        svc = app.extensions["gateway"]
        svc.audit.stop()
        getattr(getattr(svc, "disclosures", None), "stop", lambda: None)()


def settings_env(settings, port: int, workers: int = 2, threads: int = 2, **extra) -> dict:
    """GATEWAY_* environment for a gunicorn process with the same settings as an in-process app."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GATEWAY_", "PROMETHEUS_"))}
    empty = LOG_DIR / "empty.toml"
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    empty.write_text("")
    env.update(GATEWAY_CONFIG=str(empty), GATEWAY_ISSUER=settings.issuer, GATEWAY_SECRET_KEY=settings.secret_key,
               GATEWAY_DATA_KEY=settings.data_key, GATEWAY_DATABASE_URL=settings.database_url,
               GATEWAY_REDIS_URL=settings.redis_url, GATEWAY_TESTING="true",
               GATEWAY_REDIS_SOCKET_TIMEOUT=str(settings.redis_socket_timeout), GATEWAY_PORT=str(port),
               GATEWAY_WORKERS=str(workers), GATEWAY_THREADS=str(threads), GATEWAY_ACCESS_LOG="/dev/null")
    for name in ("login_rate_per_ip", "login_rate_per_account", "token_rate_per_client", "token_rate_per_ip"):
        env[f"GATEWAY_SECURITY_{name.upper()}"] = getattr(settings.security, name)
    env.update(extra)
    return env


class GatewayProcess:
    """``gunicorn -c config/gunicorn.conf.py wsgi:app`` as an operator runs it; stopped by its own PID."""

    def __init__(self, env: dict, port: int, log_path: Path):
        self.env, self.port, self.log_path = env, port, log_path
        self.base = f"http://127.0.0.1:{port}"
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 30) -> "GatewayProcess":
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "config/gunicorn.conf.py", "wsgi:app"],
                                     cwd=ROOT, env=self.env, stdout=self.log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL)
        def healthy() -> bool:
            assert self.proc.poll() is None, self.log_path.read_text(errors="replace")[-3000:]
            try:
                return requests.get(self.base + "/healthz", timeout=1).status_code == 200
            except requests.RequestException:
                return False

        try:
            wait_until(healthy, timeout, "gunicorn did not come up", interval=0.2)
        except AssertionError:
            self.stop()
            raise RuntimeError("gunicorn did not come up: " + self.log_path.read_text(errors="replace")[-3000:])
        return self

    def worker_pids(self) -> list[int]:
        out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(self.proc.pid)], capture_output=True, text=True)
        return [int(p) for p in out.stdout.split()]

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(25)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if getattr(self, "log", None):
            self.log.close()


def json_lines(text: str) -> list[dict]:
    out = []
    for line in text.splitlines():
        try:
            out.append(json.loads(line))
        except ValueError:
            continue
    return out
