"""Real Redis topologies on loopback: 1 master + 1 replica + 3 Sentinels, and a 3-master Cluster.

Adapted from /work/shared/recipes/sentinel_failover.py. Every process is started here and stopped
by its own PID.
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import redis

from tests.services.redis import free_port, redis_binary


def _start(conf: Path, text: str, *extra: str) -> subprocess.Popen:
    conf.write_text(text)
    log = open(str(conf) + ".out", "w")
    return subprocess.Popen([redis_binary(), str(conf), *extra], stdout=log, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL)


def _wait_ping(port: int, timeout: float = 10) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            if redis.Redis(port=port, socket_timeout=0.5).ping():
                return
        except redis.RedisError:
            time.sleep(0.05)
    raise RuntimeError(f"no PING on {port}")


def start_sentinel_topology(d: Path, down_after_ms: int = 1000) -> dict:
    d.mkdir(parents=True, exist_ok=True)
    procs: dict[str, subprocess.Popen] = {}
    base = "bind 127.0.0.1\nsave \"\"\nappendonly no\ndir {d}\nport {p}\n"
    pm, pr = free_port(), free_port()
    procs["master"] = _start(d / "master.conf", base.format(d=d, p=pm))
    procs["replica"] = _start(d / "replica.conf", base.format(d=d, p=pr) + f"replicaof 127.0.0.1 {pm}\n")
    _wait_ping(pm)
    _wait_ping(pr)
    sports = []
    for i in range(3):
        sp = free_port()
        sports.append(sp)
        procs[f"sentinel{i}"] = _start(d / f"sentinel{i}.conf",  # each sentinel rewrites its own file
                                       f"bind 127.0.0.1\nport {sp}\ndir {d}\n"
                                       f"sentinel monitor mymaster 127.0.0.1 {pm} 2\n"
                                       f"sentinel down-after-milliseconds mymaster {down_after_ms}\n"
                                       f"sentinel failover-timeout mymaster 10000\n"
                                       f"sentinel parallel-syncs mymaster 1\n", "--sentinel")
    for sp in sports:
        _wait_ping(sp)
    deadline = time.time() + 30
    while time.time() < deadline:
        ok = redis.Redis(port=pm).info("replication").get("connected_slaves") == 1
        for sp in sports:
            m = redis.Redis(port=sp).sentinel_master("mymaster")
            ok = ok and m["num-slaves"] == 1 and m["num-other-sentinels"] == 2
        if ok:
            break
        time.sleep(0.2)
    else:
        stop_all(procs)
        raise RuntimeError("sentinel topology never converged")
    url = "redis+sentinel://" + ",".join(f"127.0.0.1:{p}" for p in sports) + "/mymaster"
    return {"url": url, "procs": procs, "master_port": pm, "replica_port": pr, "sentinel_ports": sports}


def start_cluster(d: Path, masters: int = 3) -> dict:
    d.mkdir(parents=True, exist_ok=True)
    procs: dict[str, subprocess.Popen] = {}
    ports = [free_port() for _ in range(masters)]
    for p in ports:
        nd = d / str(p)
        nd.mkdir(exist_ok=True)
        procs[f"node{p}"] = _start(nd / "redis.conf", f"bind 127.0.0.1\nport {p}\ndir {nd}\nsave \"\"\n"
                                   f"appendonly no\ncluster-enabled yes\ncluster-config-file nodes.conf\n"
                                   f"cluster-node-timeout 2000\ncluster-port {free_port()}\n")
    for p in ports:
        _wait_ping(p)
    created = subprocess.run(["redis-cli", "--cluster", "create", *[f"127.0.0.1:{p}" for p in ports],
                              "--cluster-replicas", "0", "--cluster-yes"], capture_output=True, text=True, timeout=60)
    if created.returncode != 0:
        stop_all(procs)
        raise RuntimeError(created.stdout + created.stderr)
    deadline = time.time() + 30
    while time.time() < deadline:
        if all(redis.Redis(port=p).cluster("info").get("cluster_state") == "ok" for p in ports):
            break
        time.sleep(0.2)
    else:
        stop_all(procs)
        raise RuntimeError("cluster never reached state ok")
    return {"url": "redis+cluster://" + ",".join(f"127.0.0.1:{p}" for p in ports), "procs": procs, "ports": ports}


def stop_all(procs: dict) -> None:
    for p in procs.values():
        if p.poll() is None:
            p.terminate()
    for p in procs.values():
        try:
            p.wait(5)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
