"""A throwaway PostgreSQL cluster on a free loopback port (Debian's postgresql package)."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from .redis import free_port


def pg_bin() -> Path | None:
    bins = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parts[-3]))
    return bins[-1].parent if bins else None


def start_postgres() -> dict:
    pgbin = pg_bin()
    if pgbin is None:
        raise FileNotFoundError("postgresql is not installed (apt-get install postgresql)")
    # not pytest's tmp dirs: they are 0700 root, which user postgres cannot enter
    d = Path(tempfile.mkdtemp(prefix="gw-pg."))
    as_pg: list[str] = []
    if os.geteuid() == 0:  # postgres refuses to run as root
        shutil.chown(d, "postgres", "postgres")
        as_pg = ["runuser", "-u", "postgres", "--"]
    port = free_port()
    subprocess.run(as_pg + [str(pgbin / "initdb"), "-D", str(d / "data"), "-U", "postgres", "--auth=trust",
                            "-E", "UTF8", "--locale=C.UTF-8"], check=True, capture_output=True)
    opts = f"-c listen_addresses=127.0.0.1 -p {port} -k {d} -c fsync=off -c synchronous_commit=off"
    subprocess.run(as_pg + [str(pgbin / "pg_ctl"), "-D", str(d / "data"), "-l", str(d / "postgres.log"), "-w",
                            "-o", opts, "start"], check=True, capture_output=True)
    pid = int((d / "data" / "postmaster.pid").read_text().split()[0])
    info = {"port": port, "pid": pid, "dir": d, "as_pg": as_pg, "pgbin": pgbin,
            "url": f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"}
    return info


def create_database(info: dict, name: str) -> str:
    subprocess.run(info["as_pg"] + [str(info["pgbin"] / "createdb"), "-h", str(info["dir"]), "-p",
                                    str(info["port"]), "-U", "postgres", name], check=True, capture_output=True)
    return f"postgresql+psycopg://postgres@127.0.0.1:{info['port']}/{name}"


def stop_postgres(info: dict) -> None:
    try:
        os.kill(info["pid"], 2)  # SIGINT: fast shutdown
    except ProcessLookupError:
        pass
    for _ in range(200):
        try:
            os.kill(info["pid"], 0)
            time.sleep(0.05)
        except ProcessLookupError:
            break
    shutil.rmtree(info["dir"], ignore_errors=True)
