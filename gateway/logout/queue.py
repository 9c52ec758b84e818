"""A durable delivery queue in Redis Streams with a consumer group.

``enqueue`` (on the user's logout path) is one XADD per portal: the logout page never waits for
a portal. The worker reads with XREADGROUP, acknowledges after the outcome is recorded, reclaims
messages of a crashed worker with XAUTOCLAIM, and parks retries in a sorted set by due time.
"""

from __future__ import annotations

import json
import time
from typing import Callable

import redis

STREAM = "gw:logout:stream"
GROUP = "deliverers"
RETRY = "gw:logout:retry"


class DeliveryQueue:
    def __init__(self, r: redis.Redis, clock: Callable[[], float] = time.time):
        self.r, self.clock = r, clock

    def ensure_group(self) -> None:
        try:
            self.r.xgroup_create(STREAM, GROUP, id="0", mkstream=True)
        except redis.ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise

    def enqueue(self, job: dict) -> None:
        self.r.xadd(STREAM, {"job": json.dumps(job, separators=(",", ":"))}, maxlen=100000, approximate=True)

    def read(self, consumer: str, count: int = 50, block_ms: int = 1000) -> list[tuple[str, dict]]:
        resp = self.r.xreadgroup(GROUP, consumer, {STREAM: ">"}, count=count, block=block_ms)
        return [(mid.decode(), json.loads(fields[b"job"])) for _, entries in resp or [] for mid, fields in entries]

    def reclaim(self, consumer: str, idle_ms: int = 60000) -> list[tuple[str, dict]]:
        """Messages another worker took but never acknowledged (it died): take them over."""
        _, entries, *_ = self.r.xautoclaim(STREAM, GROUP, consumer, min_idle_time=idle_ms, start_id="0-0", count=50)
        return [(mid.decode(), json.loads(fields[b"job"])) for mid, fields in entries if fields]

    def ack(self, message_id: str) -> None:
        self.r.xack(STREAM, GROUP, message_id)
        self.r.xdel(STREAM, message_id)

    def retry_later(self, job: dict, due: float) -> None:
        self.r.zadd(RETRY, {json.dumps(job, separators=(",", ":")): due})

    def move_due_retries(self, limit: int = 100) -> int:
        """Put retries whose time has come back on the stream; ZREM decides which worker owns each."""
        moved = 0
        for raw in self.r.zrangebyscore(RETRY, "-inf", self.clock(), start=0, num=limit):
            if self.r.zrem(RETRY, raw):
                self.r.xadd(STREAM, {"job": raw})
                moved += 1
        return moved

    def pending(self) -> int:
        """Deliveries not finished yet: on the stream (unread or in flight) or waiting to retry."""
        return int(self.r.xlen(STREAM)) + int(self.r.zcard(RETRY))
