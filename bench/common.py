"""Shared pieces of the benchmarks: a gateway under gunicorn on loopback, wrk runs, percentiles."""

from __future__ import annotations

import base64
import json
import os
import re
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
# The gateway under test may come from another checkout (before/after comparisons); the helpers
# (tests/services) always come from this one.
TREE = Path(os.environ.get("BENCH_TREE", ROOT))
PY = sys.executable

from tests.services.redis import free_port, start_redis, stop_redis  # noqa: E402


def wait_port(port: int, timeout: float = 30) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"nothing listens on {port}")


class Gateway:
    """A temporary gateway: its own redis-server, SQLite file and gunicorn (2 workers x 4 threads)."""

    def __init__(self, workers: int = 2, threads: int = 4, extra_toml: str = "", port: int | None = None):
        self.dir = Path(tempfile.mkdtemp(prefix="gw-bench."))
        self.redis = start_redis(self.dir / "redis")
        self.port = port or free_port()
        self.issuer = f"http://127.0.0.1:{self.port}"
        cfg = self.dir / "gateway.toml"
        cfg.write_text(f'secret_key = "{secrets.token_urlsafe(48)}"\n'
                       f'data_key = "{base64.b64encode(os.urandom(32)).decode()}"\n'
                       f'database_url = "sqlite:///{self.dir}/gw.sqlite"\nlog_json = true\n' + extra_toml)
        # one client from one address is the whole load here: limits stay on (their Redis cost is
        # part of what we measure) but high enough never to refuse it
        unlimited = {f"GATEWAY_SECURITY_{k}": "100000000/minute" for k in (
            "LOGIN_RATE_PER_IP", "LOGIN_RATE_PER_ACCOUNT", "TOKEN_RATE_PER_CLIENT", "TOKEN_RATE_PER_IP")}
        if os.environ.get("BENCH_PLAIN") == "1":  # an older tree that has no such settings
            unlimited = {}
        self.env = {**unlimited, **os.environ, "GATEWAY_CONFIG": str(cfg), "GATEWAY_REDIS_URL": self.redis["url"],
                    "GATEWAY_ISSUER": self.issuer, "GATEWAY_PORT": str(self.port),
                    "GATEWAY_WORKERS": str(workers), "GATEWAY_THREADS": str(threads),
                    "GATEWAY_ACCESS_LOG": "/dev/null", "PYTHONPATH": str(TREE)}
        self.flask("db", "upgrade")
        self.flask("keys", "rotate")
        self.proc = None

    def flask(self, *args: str) -> str:
        return subprocess.run([PY, "-m", "flask", "--app", "wsgi", *args], cwd=TREE, env=self.env, check=True,
                              capture_output=True, text=True).stdout

    def start(self) -> None:
        self.proc = subprocess.Popen([PY, "-m", "gunicorn", "-c", "config/gunicorn.conf.py", "wsgi:app"], cwd=TREE,
                                     env=self.env, stdout=open(self.dir / "gunicorn.log", "wb"),
                                     stderr=subprocess.STDOUT)
        wait_port(self.port)
        warm_up(f"{self.issuer}/.well-known/openid-configuration")

    def stop(self) -> None:
        if self.proc:
            self.proc.terminate()
            self.proc.wait(20)
        stop_redis(self.redis)
        shutil.rmtree(self.dir, ignore_errors=True)


def hello_server(workers: int = 2, threads: int = 4) -> tuple[subprocess.Popen, int]:
    port = free_port()
    proc = subprocess.Popen([PY, "-m", "gunicorn", "-w", str(workers), "--threads", str(threads), "-k", "gthread",
                             "--keep-alive", "5", "-b", f"127.0.0.1:{port}", "bench.hello:app"],
                            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_port(port)
    warm_up(f"http://127.0.0.1:{port}/")
    return proc, port


def warm_up(url: str) -> None:
    """gunicorn's master listens before its workers have booted: let them start before measuring."""
    subprocess.run(["wrk", "-t1", "-c4", "-d2s", url], capture_output=True)


def wrk(url: str, seconds: int = 8, connections: int = 16, script: str | None = None) -> dict:
    """Run wrk with 2 threads; returns requests/s, p50 and p99 in ms, and non-2xx count."""
    args = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency"]
    path = None
    if script:
        fd, path = tempfile.mkstemp(suffix=".lua")
        os.write(fd, script.encode())
        os.close(fd)
        args += ["-s", path]
    out = subprocess.run(args + [url], capture_output=True, text=True, check=True).stdout
    if path:
        os.unlink(path)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))

    def pct(p):
        m = re.search(rf"^\s+{p}%\s+([\d.]+)(us|ms|s)", out, re.M)
        value, unit = float(m.group(1)), m.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"rps": rps, "p50_ms": pct(50), "p99_ms": pct(99), "non_2xx": int(errors.group(1)) if errors else 0}


def post_script(body: str, headers: dict[str, str]) -> str:
    lines = ['wrk.method = "POST"', f"wrk.body = {json.dumps(body)}",
             'wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"']
    lines += [f"wrk.headers[{json.dumps(k)}] = {json.dumps(v)}" for k, v in headers.items()]
    return "\n".join(lines) + "\n"


def header_script(headers: dict[str, str]) -> str:
    return "\n".join(f"wrk.headers[{json.dumps(k)}] = {json.dumps(v)}" for k, v in headers.items()) + "\n"


def percentiles(samples: list[float]) -> tuple[float, float]:
    s = sorted(samples)
    return statistics.median(s) * 1000, s[min(len(s) - 1, int(len(s) * 0.99))] * 1000


def row(name: str, r: dict) -> str:
    return f"{name:34} {r['rps']:9.0f}/s   p50 {r['p50_ms']:7.2f} ms   p99 {r['p99_ms']:7.2f} ms" + \
        (f"   non-2xx {r['non_2xx']}" if r.get("non_2xx") else "")
