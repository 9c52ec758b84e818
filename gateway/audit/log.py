"""The audit log: one call, ``record``, for every security-relevant event.

Events are masked (ID numbers, mobiles; secrets redacted), written as a JSON line to the
``gateway.audit`` logger at once, and appended to SQL in batches: ``record`` pushes onto a Redis
list and a background thread drains it under a Redis lock, so the token hot path never waits for
a SQL write and the HMAC chain is computed by one writer at a time. When Redis is down the
record is written to SQL directly.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import threading
import time
from typing import Any, Callable

import redis
from sqlalchemy import insert, select

from ..batch import BatchQueue
from ..db import Database
from .masking import mask
from .models import AuditEvent

log = logging.getLogger("gateway.audit")


def _sm3_available() -> bool:
    from cryptography.hazmat.backends import default_backend
    from cryptography.hazmat.primitives import hashes

    return default_backend().hash_supported(hashes.SM3())


SM3 = _sm3_available()  # HMAC-SM3 (GB/T 32905; 密评) where the OpenSSL build has it, else HMAC-SHA256


def _chain_body(prev: str, row: dict) -> bytes:
    body = json.dumps({k: row.get(k) for k in ("ts", "event", "result", "actor", "user_id", "client_id",
                                                  "ip", "request_id", "details")},
                      sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return (prev + "|" + body).encode()


def _hmac_sm3(key: bytes, data: bytes) -> str:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives import hmac as chmac

    h = chmac.HMAC(key, hashes.SM3())
    h.update(data)
    return h.finalize().hex()


def chain_hmac(key: bytes, prev: str, row: dict) -> str:
    data = _chain_body(prev, row)
    return _hmac_sm3(key, data) if SM3 else hmac.new(key, data, hashlib.sha256).hexdigest()


def chain_matches(key: bytes, prev: str, row: dict, expected: str) -> bool:
    """Records written before the switch to SM3 carry HMAC-SHA256; both verify."""
    data = _chain_body(prev, row)
    candidates = [_hmac_sm3(key, data)] if SM3 else []
    candidates.append(hmac.new(key, data, hashlib.sha256).hexdigest())
    return any(hmac.compare_digest(c, expected or "") for c in candidates)


class AuditLog:
    def __init__(self, db: Database, r: redis.Redis, chain_key: bytes, clock: Callable[[], float] = time.time,
                 flush_interval: float = 0.5):
        self.db, self.key, self.clock = db, chain_key, clock
        self._write_lock = threading.Lock()
        self.queue = BatchQueue(r, "audit", self._write, flush_interval)

    def record(self, event: str, *, result: str = "success", actor: str | None = None,
               user_id: str | None = None, client_id: str | None = None, ip: str | None = None,
               request_id: str | None = None, **details: Any) -> None:
        row = {"ts": int(self.clock()), "event": event, "result": result, "actor": mask(actor),
               "user_id": user_id, "client_id": client_id, "ip": ip, "request_id": request_id,
               "details": mask(details)}
        log.info(json.dumps({"audit": row}, ensure_ascii=False, default=str))
        self.queue.push(row)

    def flush(self) -> int:
        """Move queued records into SQL; returns how many. Safe to call from any process."""
        return self.queue.flush()

    def stop(self) -> None:
        self.queue.stop()

    def _write(self, rows: list[dict]) -> None:
        with self._write_lock, self.db.session() as s:
            prev = s.scalar(select(AuditEvent.chain_hmac).order_by(AuditEvent.id.desc()).limit(1)) or ""
            values = []
            for row in rows:
                h = chain_hmac(self.key, prev, row)
                values.append({**row, "prev_hmac": prev, "chain_hmac": h})
                prev = h
            s.execute(insert(AuditEvent), values)

    # Verification -----------------------------------------------------------------------------
    def verify(self, start_prev: str | None = None) -> list[str]:
        """Problems in the chain: an edited record breaks its HMAC, a deleted one the link.

        ``start_prev``: what the first record must link to ("" for a log never purged, else the
        purge anchor's HMAC), so deleting the oldest records is detected too."""
        problems, prev = [], start_prev
        with self.db.session() as s:
            for ev in s.scalars(select(AuditEvent).order_by(AuditEvent.id)).yield_per(1000):
                row = {"ts": ev.ts, "event": ev.event, "result": ev.result, "actor": ev.actor, "user_id": ev.user_id,
                       "client_id": ev.client_id, "ip": ev.ip, "request_id": ev.request_id, "details": ev.details}
                if prev is not None and ev.prev_hmac != prev:
                    problems.append(f"record {ev.id}: chain broken (a record before it was deleted or edited)")
                if not chain_matches(self.key, ev.prev_hmac, row, ev.chain_hmac):
                    problems.append(f"record {ev.id}: content does not match its HMAC (edited)")
                prev = ev.chain_hmac
        return problems
