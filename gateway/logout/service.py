"""Fan a session's end out to every portal it signed in to."""

from __future__ import annotations

import logging
import secrets
import time
from typing import Callable

from .queue import DeliveryQueue
from .tokens import logout_token

log = logging.getLogger("gateway.logout")


class SingleLogout:
    def __init__(self, issuer: str, keys, clients, queue: DeliveryQueue, subject_key: bytes,
                 clock: Callable[[], float] = time.time):
        self.issuer, self.keys, self.clients, self.queue = issuer, keys, clients, queue
        self.subject_key, self.clock = subject_key, clock

    def notify(self, principal: dict, reason: str, only_client: str | None = None) -> int:
        """Queue a logout token for each signed-in portal with a back-channel URI; returns how many."""
        count = 0
        for client_id in sorted((principal.get("rps") or {}).keys()):
            if only_client and client_id != only_client:
                continue
            count += self.notify_client(client_id, principal["user_id"], principal.get("sid"), reason)
        return count

    def notify_client(self, client_id: str, user_id: str, sid: str | None, reason: str) -> int:
        client = self.clients.get(client_id)
        if client is None or not client.backchannel_logout_uri:
            return 0
        self.queue.enqueue({"id": secrets.token_hex(16), "client_id": client_id,
                            "uri": client.backchannel_logout_uri, "sid": sid, "user_id": user_id,
                            "reason": reason, "first_at": self.clock(), "attempt": 0})
        return 1

    def mint(self, job: dict) -> str | None:
        """A fresh logout token for each attempt: receivers accept ``iat`` only within a short
        window, so a retry ten minutes later must not carry the first attempt's token."""
        client = self.clients.get(job["client_id"])
        if client is None:
            return None
        token, _ = logout_token(self.issuer, self.keys, client, job["user_id"], job.get("sid"), self.subject_key,
                                self.clock())
        return token
