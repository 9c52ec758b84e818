"""The logout-delivery worker (``flask --app wsgi worker``).

Each loop: move due retries back onto the stream, take over messages of dead workers, read new
deliveries and POST them in parallel (3 s timeout), record every attempt, and sweep sessions that
timed out so their portals are told too.

Outcome rules (Back-Channel Logout 1.0 §2.8): 2xx delivered; 4xx (and 3xx) failed without retry —
the portal refused the token; 5xx and network errors retried with exponential backoff (1 s, 2 s,
4 s … capped at 60 s) for ``retry_window`` seconds (default 15 min), then failed.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from concurrent import futures
from concurrent.futures import ThreadPoolExecutor

import redis
import requests
from requests.adapters import HTTPAdapter
from sqlalchemy import func, select

from .models import LogoutDelivery

log = logging.getLogger("gateway.logout")


class DeliveryWorker:
    def __init__(self, services, consumer: str | None = None, parallel: int = 16, http_timeout: float = 3.0,
                 retry_window: float = 900.0, backoff_base: float = 1.0, backoff_cap: float = 60.0):
        self.svc = services
        self.queue = services.logout_queue
        self.consumer = consumer or f"{socket.gethostname()}-{os.getpid()}-{threading.get_ident()}"
        self.parallel = parallel
        self.pool = ThreadPoolExecutor(max_workers=parallel, thread_name_prefix="logout-delivery")
        self._inflight: set[futures.Future] = set()
        self.http = requests.Session()
        self.http.mount("http://", HTTPAdapter(pool_maxsize=parallel))
        self.http.mount("https://", HTTPAdapter(pool_maxsize=parallel))
        self.timeout = http_timeout
        self.retry_window = retry_window
        self.backoff_base, self.backoff_cap = backoff_base, backoff_cap
        self._last_reclaim = 0.0
        self.queue.ensure_group()

    # One delivery attempt -----------------------------------------------------------------------
    def attempt(self, job: dict) -> tuple[str, int | None, str | None]:
        token = self.svc.single_logout.mint(job)
        if token is None:
            return "failed", None, "client no longer registered or disabled"
        try:
            r = self.http.post(job["uri"], data={"logout_token": token}, timeout=self.timeout,
                               allow_redirects=False,
                               headers={"Content-Type": "application/x-www-form-urlencoded"})
        except requests.RequestException as exc:
            return "retry", None, type(exc).__name__
        if 200 <= r.status_code < 300:
            return "delivered", r.status_code, None
        if r.status_code >= 500:
            return "retry", r.status_code, f"HTTP {r.status_code}"
        return "failed", r.status_code, f"HTTP {r.status_code}"

    def handle(self, message_id: str, job: dict) -> str:
        outcome, status, error = self.attempt(job)
        now = self.svc.clock()
        job["attempt"] = job.get("attempt", 0) + 1
        if outcome == "retry":
            if now - job["first_at"] < self.retry_window:
                delay = min(self.backoff_cap, self.backoff_base * 2 ** (job["attempt"] - 1))
                self.queue.retry_later(job, now + delay)
                outcome = "pending"
            else:
                outcome = "failed"
        self._record(job, outcome, status, error, now)
        self.queue.ack(message_id)
        return outcome

    def _record(self, job: dict, outcome: str, status: int | None, error: str | None, now: float) -> None:
        with self.svc.db.session() as s:
            row = s.get(LogoutDelivery, job["id"])
            if row is None:
                row = LogoutDelivery(id=job["id"], client_id=job["client_id"], sid=job.get("sid"),
                                     user_id=job.get("user_id"), reason=job.get("reason", ""), uri=job["uri"],
                                     created_at=int(job["first_at"]))
                s.add(row)
            row.status, row.attempts, row.last_status = outcome, job["attempt"], status
            row.last_error, row.updated_at = error, int(now)
            if outcome == "delivered":
                row.delivered_at = int(now)
        self.svc.audit.record(f"logout.delivery_{outcome}", result="success" if outcome != "failed" else "failure",
                              client_id=job["client_id"], user_id=job.get("user_id"), attempt=job["attempt"],
                              http_status=status, error=error)

    # The loop -----------------------------------------------------------------------------------
    def sweep_expired_sessions(self) -> int:
        ended = 0
        for sid in self.svc.sso.due():
            record = self.svc.sso.record(sid)
            if record and self.svc.sso.alive(record):
                continue  # activity moved the deadline; the index will catch up on the next save
            if self.svc.end_session(sid, reason="timeout") is not None:
                ended += 1
            else:
                self.svc.sso.r.zrem("gw:sess-deadlines", sid)
        return ended

    def run_once(self, block_ms: int = 500, wait: bool = True) -> int:
        """One round. ``wait=False`` (the long-running loop) leaves slow deliveries in flight and
        reads more as threads free up, so one slow portal never holds up the others."""
        self.queue.move_due_retries()
        self._inflight = {f for f in self._inflight if not f.done()}
        room = self.parallel - len(self._inflight)
        if room <= 0:
            futures.wait(self._inflight, timeout=block_ms / 1000, return_when=futures.FIRST_COMPLETED)
            self.sweep_expired_sessions()
            return 0
        now = time.time()
        batch = []
        if now - self._last_reclaim > 30:
            self._last_reclaim = now
            batch += self.queue.reclaim(self.consumer)
        batch += self.queue.read(self.consumer, count=room, block_ms=block_ms)
        started = {self.pool.submit(self.handle, mid, job) for mid, job in batch}
        for future in started:
            future.add_done_callback(_log_failure)
        self._inflight |= started
        if wait:
            futures.wait(started)
        self.sweep_expired_sessions()
        return len(batch)

    def run_forever(self, stop: threading.Event | None = None) -> None:
        stop = stop or threading.Event()
        log.info("logout worker %s started", self.consumer)
        while not stop.is_set():
            try:
                self.run_once(wait=False)
            except redis.RedisError as exc:
                log.warning("worker: redis unavailable (%s); retrying", type(exc).__name__)
                stop.wait(1)
            except Exception:
                log.exception("worker loop failed; continuing")
                stop.wait(1)
        self.pool.shutdown(wait=True)


def _log_failure(future: futures.Future) -> None:
    # The message stays unacknowledged, so another round (XAUTOCLAIM) delivers it again.
    if future.exception() is not None:
        log.error("logout delivery failed unexpectedly; it will be retried", exc_info=future.exception())


def delivery_counts(db) -> dict[str, int]:
    with db.session() as s:
        rows = s.execute(select(LogoutDelivery.status, func.count()).group_by(LogoutDelivery.status)).all()
    return {status: n for status, n in rows}
