"""Remembered consents: a user's approval of a client's scopes, with an expiry."""

from __future__ import annotations

import hashlib
import json
import time
from typing import Callable

from sqlalchemy import select

from ..db import Database
from ..registry.models import Consent


def policy_fingerprint(client) -> int:
    """Changes whenever what the client may receive changes, so a changed policy asks again."""
    raw = json.dumps([client.scope, client.release_policy], sort_keys=True, ensure_ascii=False)
    return int(hashlib.sha256(raw.encode()).hexdigest()[:7], 16)


class ConsentStore:
    def __init__(self, db: Database, lifetime_days: int, clock: Callable[[], float] = time.time):
        self.db, self.lifetime, self.clock = db, lifetime_days * 86400, clock

    def covers(self, user_id: str, client, scope: str) -> bool:
        now = int(self.clock())
        with self.db.session() as s:
            c = s.scalar(select(Consent).where(Consent.user_id == user_id, Consent.client_id == client.client_id))
            if c is None or c.withdrawn_at or c.expires_at < now or c.policy_version != policy_fingerprint(client):
                return False
            return set(scope.split()) <= set(c.scope.split())

    def grant(self, user_id: str, client, scope: str) -> None:
        now = int(self.clock())
        with self.db.session() as s:
            c = s.scalar(select(Consent).where(Consent.user_id == user_id, Consent.client_id == client.client_id))
            if c is None:
                c = Consent(user_id=user_id, client_id=client.client_id)
                s.add(c)
            previous = set() if (c.withdrawn_at or not c.scope) else set(c.scope.split())
            c.scope = " ".join(sorted(previous | set(scope.split())))
            c.policy_version = policy_fingerprint(client)
            c.granted_at, c.expires_at, c.withdrawn_at = now, now + self.lifetime, None

    def withdraw(self, user_id: str, client_id: str) -> bool:
        with self.db.session() as s:
            c = s.scalar(select(Consent).where(Consent.user_id == user_id, Consent.client_id == client_id))
            if c is None or c.withdrawn_at:
                return False
            c.withdrawn_at = int(self.clock())
            return True

    def for_user(self, user_id: str) -> list[Consent]:
        with self.db.session() as s:
            return list(s.scalars(select(Consent).where(Consent.user_id == user_id, Consent.withdrawn_at.is_(None))))
