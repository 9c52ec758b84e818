"""Fan a session's end out to every portal it signed in to."""

from __future__ import annotations

import logging
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
        token, jti = logout_token(self.issuer, self.keys, client, user_id, sid, self.subject_key, self.clock())
        self.queue.enqueue({"jti": jti, "client_id": client_id, "uri": client.backchannel_logout_uri,
                            "token": token, "sid": sid, "user_id": user_id, "reason": reason,
                            "first_at": self.clock(), "attempt": 0})
        return 1
