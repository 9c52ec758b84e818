"""Remembered consents: a user's approval of a client's scopes, with an expiry."""

from __future__ import annotations

import hashlib
import json
import time
from typing import Callable

from sqlalchemy import select

from ..db import Database
from ..registry.models import Consent
from ..registry.policy import needs_consent


def policy_fingerprint(client) -> int:
    """Changes whenever what the client may receive changes, so a changed policy asks again."""
    raw = json.dumps([client.scope, client.release_policy], sort_keys=True, ensure_ascii=False)
    return int(hashlib.sha256(raw.encode()).hexdigest()[:7], 16)


class ConsentStore:
    def __init__(self, db: Database, lifetime_days: int, clock: Callable[[], float] = time.time):
        self.db, self.lifetime, self.clock = db, lifetime_days * 86400, clock

    def _valid(self, s, user_id: str, client) -> Consent | None:
        c = s.scalar(select(Consent).where(Consent.user_id == user_id, Consent.client_id == client.client_id))
        if c is None or c.withdrawn_at or c.expires_at < int(self.clock()) or \
                c.policy_version != policy_fingerprint(client):
            return None
        return c

    def covers(self, user_id: str, client, scope: str) -> bool:
        """The person has decided on everything this scope asks (granted or declined each item)."""
        with self.db.session() as s:
            c = self._valid(s, user_id, client)
            return c is not None and set(scope.split()) <= set(c.scope.split())

    def granted(self, user_id: str, client) -> set[str]:
        """Consent-based claims the person agreed to release to this client (empty if none)."""
        with self.db.session() as s:
            c = self._valid(s, user_id, client)
            return set(c.claims or ()) if c is not None else set()

    def grant(self, user_id: str, client, scope: str, claims: list[str] | None = None) -> None:
        now = int(self.clock())
        with self.db.session() as s:
            c = s.scalar(select(Consent).where(Consent.user_id == user_id, Consent.client_id == client.client_id))
            if c is None:
                c = Consent(user_id=user_id, client_id=client.client_id)
                s.add(c)
            fresh = c.withdrawn_at or c.policy_version != policy_fingerprint(client)
            previous = set() if (fresh or not c.scope) else set(c.scope.split())
            c.scope = " ".join(sorted(previous | set(scope.split())))
            asked = set(needs_consent(client.release_policy, scope))
            kept = set() if fresh else set(c.claims or ()) - asked
            c.claims = sorted(kept | (set(claims or ()) & asked))
            c.policy_version = policy_fingerprint(client)
            c.granted_at, c.expires_at, c.withdrawn_at = now, now + self.lifetime, None

    def withdraw(self, user_id: str, client_id: str) -> bool:
        with self.db.session() as s:
            c = s.scalar(select(Consent).where(Consent.user_id == user_id, Consent.client_id == client_id))
            if c is None or c.withdrawn_at:
                return False
            c.withdrawn_at = int(self.clock())
            return True

    def withdraw_all_of(self, user_id: str) -> list[str]:
        with self.db.session() as s:
            rows = s.scalars(select(Consent).where(Consent.user_id == user_id, Consent.withdrawn_at.is_(None))).all()
            for c in rows:
                c.withdrawn_at = int(self.clock())
            return [c.client_id for c in rows]

    def for_user(self, user_id: str) -> list[Consent]:
        with self.db.session() as s:
            return list(s.scalars(select(Consent).where(Consent.user_id == user_id, Consent.withdrawn_at.is_(None))))
