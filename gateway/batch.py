"""Batched SQL writes through a Redis list: the hot path does one RPUSH, a background thread
drains the list into SQL in batches (one writer at a time, under a Redis lock, so order holds).
If Redis is unavailable the row is written directly.

``buffered=True`` goes one step further for high-volume records (disclosures): rows are collected
in process and pushed to Redis in one RPUSH every ``buffer_interval`` seconds, so the request path
does no network round trip at all. A process killed outright can lose that last fraction of a
second of rows; a normal exit pushes them (atexit)."""

from __future__ import annotations

import atexit
import json
import logging
import threading
from typing import Callable

import redis

from .sessions.redis import REDIS_DOWN_ERRORS

log = logging.getLogger("gateway")


class BatchQueue:
    def __init__(self, r: redis.Redis, name: str, write: Callable[[list[dict]], None], interval: float = 0.5,
                 buffered: bool = False, buffer_interval: float = 0.1):
        self.r, self.key, self.lock_key = r, f"gw:{name}:queue", f"gw:{name}:lock"
        self.write = write
        self.interval = interval
        self.buffered, self.buffer_interval = buffered, buffer_interval
        self._buffer: list[str] = []
        self._buffer_lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._start_lock = threading.Lock()
        if buffered:
            atexit.register(self.push_buffer)

    def push(self, row: dict) -> None:
        payload = json.dumps(row, ensure_ascii=False, default=str)
        if self.buffered:
            with self._buffer_lock:
                self._buffer.append(payload)
        else:
            try:
                self.r.rpush(self.key, payload)
            except (redis.RedisError, *REDIS_DOWN_ERRORS):
                self.write([row])
                return
        if self._thread is None or not self._thread.is_alive():
            with self._start_lock:
                if self._thread is None or not self._thread.is_alive():
                    self._thread = threading.Thread(target=self._run, name=f"{self.key}-flush", daemon=True)
                    self._thread.start()

    def push_buffer(self) -> None:
        """Send this process's buffered rows to Redis (or straight to SQL if Redis is down)."""
        with self._buffer_lock:
            rows, self._buffer = self._buffer, []
        if not rows:
            return
        try:
            self.r.rpush(self.key, *rows)
        except (redis.RedisError, *REDIS_DOWN_ERRORS):
            self.write([json.loads(r) for r in rows])

    def flush(self) -> int:
        """Move queued rows into SQL; returns how many. Safe from any process."""
        self.push_buffer()
        total = 0
        try:
            lock = self.r.lock(self.lock_key, timeout=30, blocking_timeout=5)
            if not lock.acquire():
                return 0
        except (redis.RedisError, *REDIS_DOWN_ERRORS):
            return 0
        try:
            while True:
                batch = self.r.lpop(self.key, 500)
                if not batch:
                    break
                self.write([json.loads(b) for b in batch])
                total += len(batch)
        except (redis.RedisError, *REDIS_DOWN_ERRORS):
            pass
        finally:
            try:
                lock.release()
            except (redis.RedisError, *REDIS_DOWN_ERRORS):
                pass
        return total

    def _run(self) -> None:
        tick = self.buffer_interval if self.buffered else self.interval
        elapsed = 0.0
        while not self._stop.wait(tick):
            elapsed += tick
            try:
                if self.buffered:
                    self.push_buffer()
                if elapsed >= self.interval:
                    elapsed = 0.0
                    self.flush()
            except Exception:  # keep draining; the queue is durable in Redis
                log.exception("flush of %s failed", self.key)

    def stop(self) -> None:
        self._stop.set()
