"""Start the provincial simulator as a real subprocess on a free loopback port (for tests and demos)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import requests

REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_provincial(tmpdir: str | os.PathLike, port: int | None = None, seed: Any = None,
                     env: dict[str, str] | None = None, timeout: float = 15.0) -> dict[str, Any]:
    """Run ``python -m simulators.provincial``; wait until ``/__sim__/health`` answers.

    ``seed`` is a dict (written to ``tmpdir/seed.json``), a path, or None for the shipped seed.
    ``env`` adds ``PROVINCIAL_*`` knobs such as ``PROVINCIAL_TICKET_TTL``.
    Returns ``{"base_url", "port", "process", "log"}``; raises RuntimeError if it doesn't come up.
    """
    for attempt in range(3):
        try:
            return _start_once(tmpdir, port, seed, env, timeout)
        except PortTaken:
            # Another test process took the free port between our probe and the bind: try another.
            if port is not None or attempt == 2:
                raise
    raise AssertionError("unreachable")


class PortTaken(RuntimeError):
    pass


def _start_once(tmpdir, port, seed, env, timeout) -> dict[str, Any]:
    tmp = Path(tmpdir)
    tmp.mkdir(parents=True, exist_ok=True)
    port = port or free_port()
    child_env = {k: v for k, v in os.environ.items() if not k.startswith("PROVINCIAL_")}
    child_env.update(PROVINCIAL_PORT=str(port), PYTHONPATH=str(REPO), PYTHONUNBUFFERED="1")
    if isinstance(seed, dict):
        seed_path = tmp / "seed.json"
        seed_path.write_text(json.dumps(seed, ensure_ascii=False), encoding="utf-8")
        child_env["PROVINCIAL_SEED"] = str(seed_path)
    elif seed is not None:
        child_env["PROVINCIAL_SEED"] = str(seed)
    child_env.update(env or {})
    log_path = tmp / f"provincial-{port}.log"
    log_file = open(log_path, "wb")
    proc = subprocess.Popen([sys.executable, "-m", "simulators.provincial"], cwd=REPO, env=child_env,
                            stdout=log_file, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    log_file.close()
    info = {"base_url": f"http://127.0.0.1:{port}", "port": port, "process": proc, "log": log_path}
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            output = log_path.read_text(errors="replace")
            if "Address already in use" in output:
                raise PortTaken(output)
            raise RuntimeError(f"simulator exited with {proc.returncode}: {output}")
        try:
            if requests.get(f"{info['base_url']}/__sim__/health", timeout=0.5).status_code == 200:
                return info
        except requests.RequestException:
            pass
        time.sleep(0.05)
    stop(info)
    raise RuntimeError(f"simulator did not answer within {timeout}s: {log_path.read_text(errors='replace')}")


def stop(info: dict[str, Any]) -> None:
    proc: subprocess.Popen = info["process"]
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
