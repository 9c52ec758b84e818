"""The one place that builds a Redis client: standalone, TLS, Sentinel or Cluster.

URL forms accepted by ``GATEWAY_REDIS_URL``:

* ``redis://[:password@]host:port/db`` and ``rediss://…`` (TLS)
* ``redis+sentinel://[:password@]host:port,host:port/service_name[/db]`` — Sentinel; the password
  is used for the data nodes, the sentinels are reached without one
* ``redis+cluster://host:port[,host:port]`` — Redis Cluster (keys use hash tags where several
  keys are touched together)

Every client has explicit socket timeouts so a dead Redis never hangs a worker.
"""

from __future__ import annotations

from urllib.parse import unquote, urlsplit

import redis
from redis.backoff import ExponentialBackoff
from redis.retry import Retry
from redis.sentinel import Sentinel

# Errors that mean "Redis is unavailable", turned into 503 by the error handlers.
REDIS_DOWN_ERRORS = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError,
                     redis.exceptions.ReadOnlyError, redis.exceptions.ClusterDownError,
                     redis.exceptions.RedisClusterException,  # "cannot be connected": every node down
                     redis.exceptions.MasterNotFoundError if hasattr(redis.exceptions, "MasterNotFoundError")
                     else redis.exceptions.ConnectionError)


def make_redis(url: str, socket_timeout: float = 1.0) -> redis.Redis:
    common = dict(socket_timeout=socket_timeout, socket_connect_timeout=socket_timeout,
                  retry=Retry(ExponentialBackoff(cap=0.2, base=0.02), 2),
                  health_check_interval=30, decode_responses=False)
    parts = urlsplit(url)
    if parts.scheme in ("redis", "rediss", "unix"):
        return redis.Redis.from_url(url, **common)
    if parts.scheme == "redis+sentinel":
        hosts = []
        for hp in parts.netloc.rsplit("@", 1)[-1].split(","):
            host, _, port = hp.rpartition(":")
            hosts.append((host or "127.0.0.1", int(port or 26379)))
        path = [p for p in parts.path.split("/") if p]
        if not path:
            raise ValueError("redis+sentinel URL needs a service name: redis+sentinel://h:p,h:p/mymaster")
        service, db = path[0], int(path[1]) if len(path) > 1 else 0
        password = unquote(parts.password) if parts.password else None
        sentinel = Sentinel(hosts, socket_timeout=socket_timeout, socket_connect_timeout=socket_timeout)
        return sentinel.master_for(service, db=db, password=password, **common)
    if parts.scheme == "redis+cluster":
        from redis.cluster import ClusterNode, RedisCluster

        nodes = []
        for hp in parts.netloc.rsplit("@", 1)[-1].split(","):
            host, _, port = hp.rpartition(":")
            nodes.append(ClusterNode(host, int(port)))
        common.pop("health_check_interval")
        return RedisCluster(startup_nodes=nodes, password=unquote(parts.password) if parts.password else None,
                            **common)
    raise ValueError(f"unsupported Redis URL scheme {parts.scheme!r}")
