"""A real redis-server on a free loopback port (never 6379), for tests and benchmarks."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def redis_binary() -> str | None:
    return shutil.which("redis-server") or ("/usr/bin/redis-server" if Path("/usr/bin/redis-server").exists() else None)


def start_redis(directory: Path, port: int | None = None, extra: list[str] | None = None) -> dict:
    exe = redis_binary()
    if exe is None:
        raise FileNotFoundError("redis-server is not installed (apt-get install redis-server)")
    port = port or free_port()
    directory.mkdir(parents=True, exist_ok=True)
    log = directory / f"redis-{port}.log"
    proc = subprocess.Popen([exe, "--bind", "127.0.0.1", "--port", str(port), "--dir", str(directory),
                             "--save", "", "--appendonly", "no", "--daemonize", "no", "--logfile", str(log),
                             *(extra or [])],
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    deadline = time.time() + 15
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"redis-server exited: {log.read_text() if log.exists() else ''}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2) as s:
                s.sendall(b"PING\r\n")
                if s.recv(16).startswith(b"+PONG"):
                    break
        except OSError:
            time.sleep(0.05)
    else:
        proc.kill()
        raise RuntimeError("redis-server did not start in time")
    return {"url": f"redis://127.0.0.1:{port}/0", "port": port, "pid": proc.pid, "process": proc, "dir": directory}


def stop_redis(info: dict) -> None:
    proc = info["process"]
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
