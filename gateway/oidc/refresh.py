"""Refresh-token families with rotation and reuse detection (RFC 9700 §4.14).

Each refresh rotates: the presented token is consumed (atomically, by a conditional UPDATE) and a
new one of the same family is issued. Presenting a consumed token again means it leaked: the
whole family is revoked.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from typing import Callable

from sqlalchemy import select, update

from ..db import Database
from .models import RefreshToken
from .tokens import token_hash


@dataclass(frozen=True)
class RefreshGrant:
    """A consumed refresh token, as the grant needs it (authlib's token-object contract)."""

    id: int
    family_id: str
    client_id: str
    user_id: str
    identity_id: int | None
    user_type: str
    sid: str | None
    scope: str
    acr: str | None
    amr: tuple[str, ...]
    auth_time: int
    offline: bool
    expires_at: int

    def check_client(self, client) -> bool:
        return client.client_id == self.client_id

    def get_scope(self) -> str:
        return self.scope

    def get_expires_in(self) -> int:
        return max(0, self.expires_at - int(time.time()))

    def is_expired(self) -> bool:
        return self.expires_at < time.time()

    def is_revoked(self) -> bool:
        return False


class ReuseDetected(Exception):
    def __init__(self, family_id: str, client_id: str, user_id: str):
        super().__init__(family_id)
        self.family_id, self.client_id, self.user_id = family_id, client_id, user_id


class RefreshTokenStore:
    def __init__(self, db: Database, clock: Callable[[], float] = time.time):
        self.db, self.clock = db, clock

    def save(self, token: str, *, client_id: str, user_id: str, scope: str, sid: str | None, acr: str | None,
             amr, auth_time: int, lifetime: int, offline: bool, family_id: str | None = None,
             identity_id: int | None = None, user_type: str = "local") -> str:
        now = int(self.clock())
        family = family_id or secrets.token_hex(16)
        with self.db.session() as s:
            s.add(RefreshToken(token_hash=token_hash(token), family_id=family, client_id=client_id, user_id=user_id,
                               identity_id=identity_id, user_type=user_type,
                               sid=None if offline else sid, scope=scope, acr=acr, amr=list(amr or ()),
                               auth_time=auth_time, offline=offline, issued_at=now, expires_at=now + lifetime))
        return family

    def consume(self, token: str, client_id: str) -> RefreshGrant | None:
        """Take a refresh token for one rotation. Raises ReuseDetected for a consumed token."""
        if not isinstance(token, str) or not token or len(token) > 512:
            return None
        h = token_hash(token)
        now = int(self.clock())
        with self.db.session() as s:
            result = s.execute(update(RefreshToken)
                               .where(RefreshToken.token_hash == h, RefreshToken.client_id == client_id,
                                      RefreshToken.used_at.is_(None), RefreshToken.revoked_at.is_(None),
                                      RefreshToken.expires_at > now)
                               .values(used_at=now))
            row = s.scalar(select(RefreshToken).where(RefreshToken.token_hash == h))
            if row is None or row.client_id != client_id:
                return None
            if result.rowcount != 1:
                if row.used_at is not None and row.revoked_at is None:
                    raise ReuseDetected(row.family_id, row.client_id, row.user_id)
                return None
            return RefreshGrant(id=row.id, family_id=row.family_id, client_id=row.client_id, user_id=row.user_id,
                                identity_id=row.identity_id, user_type=row.user_type or "local",
                                sid=row.sid, scope=row.scope, acr=row.acr, amr=tuple(row.amr or ()),
                                auth_time=row.auth_time, offline=row.offline, expires_at=row.expires_at)

    def find(self, token: str) -> RefreshToken | None:
        if not isinstance(token, str) or len(token) > 512:
            return None
        with self.db.session() as s:
            return s.scalar(select(RefreshToken).where(RefreshToken.token_hash == token_hash(token)))

    def revoke_family(self, family_id: str) -> int:
        with self.db.session() as s:
            return s.execute(update(RefreshToken).where(RefreshToken.family_id == family_id,
                                                        RefreshToken.revoked_at.is_(None))
                             .values(revoked_at=int(self.clock()))).rowcount

    def revoke_for_session(self, sid: str) -> int:
        with self.db.session() as s:
            return s.execute(update(RefreshToken).where(RefreshToken.sid == sid, RefreshToken.revoked_at.is_(None))
                             .values(revoked_at=int(self.clock()))).rowcount

    def revoke_for_user(self, user_id: str, client_id: str | None = None) -> int:
        q = update(RefreshToken).where(RefreshToken.user_id == user_id, RefreshToken.revoked_at.is_(None))
        if client_id:
            q = q.where(RefreshToken.client_id == client_id)
        with self.db.session() as s:
            return s.execute(q.values(revoked_at=int(self.clock()))).rowcount
