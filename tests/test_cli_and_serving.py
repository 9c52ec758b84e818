"""The CLI contract and production serving, exactly as an operator runs them (subprocesses)."""

from __future__ import annotations

import base64
import json
import os
import secrets
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from tests.services.redis import free_port
from tests.helpers import wait_until

ROOT = Path(__file__).resolve().parent.parent


def _env(redis_url: str, database_url: str, port: int) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GATEWAY_")}
    env.update(GATEWAY_ISSUER=f"http://127.0.0.1:{port}", GATEWAY_DATABASE_URL=database_url,
               GATEWAY_REDIS_URL=redis_url, GATEWAY_SECRET_KEY=secrets.token_urlsafe(48),
               GATEWAY_DATA_KEY=base64.b64encode(os.urandom(32)).decode(), GATEWAY_PORT=str(port),
               GATEWAY_CONFIG=str(ROOT / "config" / "gateway.example.toml"), GATEWAY_WORKERS="2",
               GATEWAY_THREADS="2", GATEWAY_ACCESS_LOG="/dev/null")
    return env


def wait_refused(base: str, auth: tuple, within: float = 3.0) -> None:
    """Poll until every worker refuses the credentials (8 refusals in a row)."""
    deadline, streak = time.time() + within, 0
    while streak < 8:
        assert time.time() < deadline, "credentials still accepted"
        status = requests.post(f"{base}/token", data={"grant_type": "client_credentials"}, auth=auth,
                               timeout=5).status_code
        streak = streak + 1 if status == 401 else 0


def flask(env, *args, ok=True):
    r = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", *args], cwd=ROOT, env=env,
                       capture_output=True, text=True, timeout=60)
    if ok:
        assert r.returncode == 0, r.stderr
    return r


def test_cli_contract_and_gunicorn_serving(redis_server, tmp_path):
    port = free_port()
    env = _env(redis_server["url"], f"sqlite:///{tmp_path}/g.sqlite", port)
    flask(env, "db", "upgrade")
    assert "new active key" in flask(env, "keys", "rotate").stdout
    keys = json.loads(flask(env, "keys", "list", "--json").stdout)
    assert {k["alg"] for k in keys if k["state"] == "active"} == {"RS256", "ES256"}
    created = json.loads(flask(env, "clients", "create", "--name", "门户", "--redirect-uri", "https://p.example/cb",
                               "--redirect-uri", "https://p.example/cb2", "--post-logout-redirect-uri",
                               "https://p.example/", "--backchannel-logout-uri", "https://p.example/bc",
                               "--grant", "authorization_code", "--grant", "refresh_token",
                               "--grant", "client_credentials", "--scope", "openid profile", "--json").stdout)
    assert created["client_id"] and len(created["client_secret"]) >= 43
    public = json.loads(flask(env, "clients", "create", "--name", "app", "--redirect-uri", "http://127.0.0.1:8/cb",
                              "--public", "--json").stdout)
    assert public["client_secret"] is None
    listed = json.loads(flask(env, "clients", "list", "--json").stdout)
    assert {c["client_id"] for c in listed} == {created["client_id"], public["client_id"]}
    assert "client_secret" not in json.dumps(listed) and created["client_secret"] not in json.dumps(listed)
    bad = flask(env, "clients", "create", "--name", "x", "--redirect-uri", "http://evil.example/*", ok=False)
    assert bad.returncode == 2 and "error:" in bad.stderr and "Traceback" not in bad.stderr
    flask(env, "users", "create", "--username", "ops", "--password", "Ops-Pass-2026!", "--name", "运维")
    weak = flask(env, "users", "create", "--username", "weak", "--password", "password", ok=False)
    assert weak.returncode == 2 and "Traceback" not in weak.stderr

    proc = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "config/gunicorn.conf.py", "wsgi:app"],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        base = f"http://127.0.0.1:{port}"
        def discovery():
            try:
                return requests.get(f"{base}/.well-known/openid-configuration", timeout=1).json()
            except requests.RequestException:
                return None

        meta = wait_until(discovery, 20, "gunicorn did not come up", interval=0.2)
        assert meta["issuer"] == base
        auth = (created["client_id"], created["client_secret"])
        r = requests.post(f"{base}/token", data={"grant_type": "client_credentials"}, auth=auth, timeout=5)
        assert r.status_code == 200, r.text
        rotated = json.loads(flask(env, "clients", "rotate-secret", created["client_id"], "--json").stdout)
        wait_refused(base, auth)  # every worker sees a registry change within a second (EPOCH_POLL)
        r = requests.post(f"{base}/token", data={"grant_type": "client_credentials"},
                          auth=(created["client_id"], rotated["client_secret"]), timeout=5)
        assert r.status_code == 200
        flask(env, "clients", "disable", created["client_id"])
        wait_refused(base, (created["client_id"], rotated["client_secret"]))
    finally:
        proc.terminate()
        proc.wait(20)
    assert "audit chain intact" in flask(env, "audit", "verify").stdout


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_migrations_upgrade_cleanly_from_empty(backend, tmp_path, request):
    from sqlalchemy import create_engine, inspect

    from gateway.migrate import upgrade

    if backend == "sqlite":
        url = f"sqlite:///{tmp_path}/m.sqlite"
    else:
        from tests.services.postgres import create_database

        url = create_database(request.getfixturevalue("postgres_server"), f"m{secrets.token_hex(4)}")
    upgrade(url, "0001")
    upgrade(url, "head")
    tables = set(inspect(create_engine(url)).get_table_names())
    assert {"relying_parties", "users", "federated_identities", "consents", "refresh_tokens", "signing_keys",
            "audit_events", "alembic_version"} <= tables
