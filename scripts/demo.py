"""`make demo`: start the whole system on embedded defaults; Ctrl-C stops everything it started.

Redis: GATEWAY_REDIS_URL if it answers, else a private redis-server on a free loopback port.
Then: the provincial simulator (5001), a department directory (a private slapd with the demo
seed), the gateway (GATEWAY_PORT, default 5000) with its logout-delivery worker, and the demo
department portals (5002-5004). Configuration and keys live under instance/demo/ and survive
restarts.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
INSTANCE = ROOT / "instance" / "demo"
PY = sys.executable
PROCS: list[subprocess.Popen] = []


def say(msg: str) -> None:
    print(f"[demo] {msg}", flush=True)


def port_free(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) != 0


def wait_port(port: int, what: str, timeout: float = 20) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if not port_free(port):
            return
        time.sleep(0.1)
    raise SystemExit(f"{what} did not start on port {port}; see {INSTANCE}/logs")


def spawn(name: str, args: list[str], env: dict | None = None) -> subprocess.Popen:
    log_dir = INSTANCE / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    out = open(log_dir / f"{name}.log", "ab")
    proc = subprocess.Popen(args, cwd=ROOT, env={**os.environ, **(env or {})}, stdin=subprocess.DEVNULL,
                            stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    PROCS.append(proc)
    return proc


def redis_url() -> str:
    import redis

    url = os.environ.get("GATEWAY_REDIS_URL")
    if url:
        try:
            redis.Redis.from_url(url, socket_timeout=1).ping()
            say(f"using Redis at {url}")
            return url
        except redis.RedisError:
            say(f"{url} does not answer; starting a private redis-server")
    from tests.services.redis import start_redis

    info = start_redis(INSTANCE / "redis")
    PROCS.append(info["process"])
    say(f"private redis-server on port {info['port']}")
    return info["url"]


def config(extra: dict) -> Path:
    """instance/demo/gateway.toml with random keys made once, so restarts keep sessions and data."""
    INSTANCE.mkdir(parents=True, exist_ok=True)
    secrets_file = INSTANCE / "secrets.json"
    if not secrets_file.exists():
        secrets_file.write_text(json.dumps({"secret_key": secrets.token_urlsafe(48),
                                            "data_key": base64.b64encode(os.urandom(32)).decode()}))
        secrets_file.chmod(0o600)
    keys = json.loads(secrets_file.read_text())
    lines = [f'secret_key = "{keys["secret_key"]}"', f'data_key = "{keys["data_key"]}"',
             f'database_url = "sqlite:///{INSTANCE}/gateway.sqlite"', "log_json = true",
             'home_links = { "社会保险网上经办 (市人社局)" = "http://127.0.0.1:5002/", '
             '"企业开办一网通办 (市市场监管局)" = "http://127.0.0.1:5003/" }']
    for section, values in extra.items():
        if section == "ldap":
            for d in values:
                lines.append("[[ldap.directories]]")
                lines += [f"{k} = {json.dumps(v, ensure_ascii=False)}" for k, v in d.items() if not isinstance(v, dict)]
                for k, v in d.items():
                    if isinstance(v, dict):
                        inner = ", ".join(f"{json.dumps(a)} = {json.dumps(b, ensure_ascii=False)}" for a, b in v.items())
                        lines.append(f"{k} = {{ {inner} }}")
            continue
        lines.append(f"[{section}]")
        lines += [f"{k} = {json.dumps(v, ensure_ascii=False)}" for k, v in values.items()]
    path = INSTANCE / "gateway.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


def flask(env: dict, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run([PY, "-m", "flask", "--app", "wsgi", *args], cwd=ROOT, env={**os.environ, **env},
                          check=check, capture_output=True, text=True)


def _interrupt(*_args) -> None:
    raise KeyboardInterrupt  # SIGTERM stops everything we started, like Ctrl-C


def main() -> int:
    signal.signal(signal.SIGTERM, _interrupt)
    port = int(os.environ.get("GATEWAY_PORT", "5000"))
    issuer = os.environ.get("GATEWAY_ISSUER", f"http://127.0.0.1:{port}")
    if not port_free(port):
        raise SystemExit(f"port {port} is taken; set GATEWAY_PORT")
    extra: dict = {}
    started = []
    try:
        url = redis_url()
        for hook in HOOKS:
            hook(extra, started, issuer)
        cfg = config(extra)
        env = {"GATEWAY_CONFIG": str(cfg), "GATEWAY_REDIS_URL": url, "GATEWAY_ISSUER": issuer,
               "GATEWAY_PORT": str(port)}
        flask(env, "db", "upgrade")
        keys = json.loads(flask(env, "keys", "list", "--json").stdout or "[]")
        if not any(k["state"] == "active" for k in keys):
            flask(env, "keys", "rotate")
        seed_accounts(env)
        for hook in AFTER_HOOKS:
            hook(env, started)
        spawn("gateway", [PY, "-m", "gunicorn", "-c", "config/gunicorn.conf.py", "wsgi:app"], env)
        wait_port(port, "gateway")
        print()
        say(f"gateway:   {issuer}/  (discovery: {issuer}/.well-known/openid-configuration)")
        for line in started:
            say(line)
        say(f"admin:     {issuer}/admin  sysadmin | secadmin | auditor, password {DEMO_ADMIN_PASSWORD} "
            "(TOTP enrolment at first login)")
        say("Ctrl-C stops everything.")
        while all(p.poll() is None for p in PROCS):
            time.sleep(0.5)
        say("a process exited; stopping (see instance/demo/logs)")
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        for p in reversed(PROCS):
            if p.poll() is None:
                try:
                    os.killpg(p.pid, signal.SIGTERM)
                except (ProcessLookupError, PermissionError):
                    p.terminate()
        for p in PROCS:
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()


DEMO_ADMINS = (("sysadmin", "系统管理员", "system_admin"), ("secadmin", "安全管理员", "security_admin"),
               ("auditor", "审计管理员", "audit_admin"))
DEMO_ADMIN_PASSWORD = "Admin-Demo-2026!"


def seed_accounts(env: dict) -> None:
    """One local account per admin role (三员: an account holds exactly one admin role)."""
    for username, name, role in DEMO_ADMINS:
        r = flask(env, "users", "create", "--username", username, "--password", DEMO_ADMIN_PASSWORD, "--name", name,
                  "--role", role, check=False)
        if r.returncode not in (0, 2):
            raise SystemExit(r.stderr)


def start_province(extra: dict, started: list, issuer: str) -> None:
    """The provincial simulator on PROVINCIAL_PORT (5001), its seed pointed at this gateway."""
    from tests.services.provincial import start_provincial

    seed = json.loads((ROOT / "simulators/provincial/seed.json").read_text(encoding="utf-8"))
    for app in seed["apps"]:
        if app["appMark"] == "WFTYSFRZ":
            app["backUrlPrefixes"] = [f"{issuer}/federation/provincial"]
            app["logoutUrl"] = f"{issuer}/federation/provincial/logout-notice"
            app_word = app["appWord"]
    port = int(os.environ.get("PROVINCIAL_PORT", "5001"))
    info = start_provincial(INSTANCE / "province", port=port, seed=seed)
    PROCS.append(info["process"])
    extra["provincial"] = {"enabled": True, "base_url": info["base_url"], "app_mark": "WFTYSFRZ",
                           "app_word": app_word}
    started.append(f"province:  {info['base_url']}/jis-web/login  (simulated 省统一身份认证)")
    started.append("           citizens: zhangsan01 (level 3), sunqi05 (level 1, can raise), zhao04 (level 1)")
    started.append("           companies: wangwu03 (法定代表人), lisi02 (经办人, two units)")
    started.append("           password <login>-pw, SMS code 123456")


def start_directory(extra: dict, started: list, issuer: str) -> None:
    """A department directory (private slapd) with the demo staff of 市人社局 and 市市场监管局."""
    from tests.services.slapd import BASE, SERVICE_DN, SERVICE_PW, slapd_available, start_slapd

    if not slapd_available():
        say("slapd is not installed: staff login is off (run make demo as root to install it)")
        return
    shutil.rmtree(INSTANCE / "slapd", ignore_errors=True)  # seeded afresh at every start
    info = start_slapd(INSTANCE / "slapd")
    PROCS.append(info["process"])
    common = {"uris": [info["uri"]], "bind_dn": SERVICE_DN, "bind_password": SERVICE_PW,
              "group_base": f"ou=groups,{BASE}", "role_groups": {"gateway-admins": "system_admin"}}
    extra["ldap"] = [
        {"name": "rsj", "display_name": "市人力资源和社会保障局", "department": "市人力资源和社会保障局",
         "user_base": f"ou=rsj,{BASE}", **common},
        {"name": "scjg", "display_name": "市市场监督管理局", "department": "市市场监督管理局",
         "user_base": f"ou=scjg,{BASE}", **common},
    ]
    started.append(f"directory: {info['uri']}  staff: zhangwei@rsj / zhangwei-Pw1!, wangfang@scjg / wangfang-Pw1!")


def start_worker(env: dict, started: list) -> None:
    spawn("worker", [PY, "-m", "flask", "--app", "wsgi", "worker"], env)
    started.append("worker:    back-channel logout deliveries and session-timeout sweeping")


HOOKS: list = [start_province, start_directory]  # fn(extra_config, started_lines, issuer): upstreams
AFTER_HOOKS: list = [start_worker]  # fn(env, started_lines): register/start things that need the gateway's DB


# --- Demo department portals (issue 6): clients/python/examples on 5002-5004 ------------------------------
DEMO_PORTALS = [  # (client_id, module, port, registration flags, banner)
    ("wf-sbj", "sbj_portal", 5002,
     ["--name", "社会保险网上经办", "--department", "市人力资源和社会保障局", "--scope", "openid profile cn_id phone",
      "--user-type", "natural", "--user-type", "legal"],
     "社会保险网上经办 (citizens, e.g. zhangsan01 / zhangsan01-pw, SMS 123456; sunqi05 for step-up at /cert)"),
    ("wf-qykb", "qykb_portal", 5003,
     ["--name", "企业开办一网通办", "--department", "市市场监督管理局", "--scope", "openid profile corp",
      "--user-type", "legal", "--min-acr-level", "2"],
     "企业开办一网通办 (legal persons: 法人登录 wangwu03 / wangwu03-pw; lisi02 acts for two units)"),
    ("wf-api", "business_api", 5004,
     ["--name", "政务业务接口", "--department", "市大数据局", "--scope", "corp", "--grant", "client_credentials"],
     "business API (resource server; /api/sbj/insurance, /api/qykb/company)"),
]


def start_demo_portals(env: dict, started: list) -> None:
    """Register the demo portals with fixed client ids (once; secrets kept in instance/demo/secrets.json,
    rotated if lost) and start them on 127.0.0.1:5002-5004."""
    secrets_file = INSTANCE / "secrets.json"
    stored = json.loads(secrets_file.read_text()) if secrets_file.exists() else {}
    kept = stored.setdefault("demo_clients", {})
    registered = {c["client_id"] for c in json.loads(flask(env, "clients", "list", "--json").stdout or "[]")}
    for client_id, _module, port, flags, _banner in DEMO_PORTALS:
        base = f"http://127.0.0.1:{port}"
        if client_id not in registered:
            portal_flags = [] if client_id == "wf-api" else [
                "--redirect-uri", f"{base}/sso/callback", "--post-logout-redirect-uri", f"{base}/",
                "--backchannel-logout-uri", f"{base}/sso/backchannel-logout",
                "--grant", "authorization_code", "--grant", "refresh_token", "--first-party"]
            out = flask(env, "clients", "create", "--client-id", client_id, *flags, *portal_flags, "--json").stdout
            kept[client_id] = {"secret": json.loads(out)["client_secret"]}
        elif not kept.get(client_id, {}).get("secret"):
            out = flask(env, "clients", "rotate-secret", client_id, "--json").stdout
            kept[client_id] = {"secret": json.loads(out)["client_secret"]}
        kept[client_id].setdefault("cookie_key", secrets.token_hex(32))
    secrets_file.write_text(json.dumps(stored))
    secrets_file.chmod(0o600)
    for client_id, module, port, _flags, banner in DEMO_PORTALS:
        if not port_free(port):
            started.append(f"{module}: port {port} is taken, not started")
            continue
        spawn(module, [PY, "-m", f"clients.python.examples.{module}"], {
            "SSO_ISSUER": env["GATEWAY_ISSUER"], "SSO_CLIENT_ID": client_id,
            "SSO_CLIENT_SECRET": kept[client_id]["secret"], "PORTAL_BASE_URL": f"http://127.0.0.1:{port}",
            "PORTAL_SECRET_KEY": kept[client_id]["cookie_key"], "SESSION_REDIS_URL": env["GATEWAY_REDIS_URL"],
            "BUSINESS_API_URL": "http://127.0.0.1:5004", "EXCHANGE_URL": "http://127.0.0.1:5004",
            "PORT": str(port)})
        started.append(f"{'portal:' if module != 'business_api' else 'api:':10} http://127.0.0.1:{port}/  {banner}")


AFTER_HOOKS.append(start_demo_portals)
# --- end of demo department portals -----------------------------------------------------------------------

if __name__ == "__main__":
    sys.exit(main())
