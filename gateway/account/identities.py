"""Linking upstream identities to users, and reading a user's claims back.

Rule: an identity is keyed by (connector, upstream_id) — the provincial userId, or the directory
plus entryUUID — never by name, mobile or ID number. A new upstream identity creates a new user;
two identities are joined only by an explicit link (never silently merged), so a staff account
and the same person's citizen account stay apart unless the person links them.
"""

from __future__ import annotations

import json
import time
from typing import Any, Callable

from sqlalchemy import select

from ..crypto import FieldCipher
from ..db import Database
from ..federation.base import Identity
from ..federation.cnid import mask_id_number
from .models import FederatedIdentity, User

KIND_BY_USER_TYPE = {"natural": "natural", "legal": "legal", "staff": "staff", "local": "local"}


class IdentityStore:
    def __init__(self, db: Database, cipher: FieldCipher, clock: Callable[[], float] = time.time):
        self.db, self.cipher, self.clock = db, cipher, clock

    def _encrypt_claims(self, fi_key: str, claims: dict) -> str:
        return self.cipher.encrypt(json.dumps(claims, ensure_ascii=False), context=f"identity:{fi_key}")

    def link(self, identity: Identity) -> tuple[str, int]:
        """Find or create the user behind an upstream identity; refresh its attributes."""
        now = int(self.clock())
        claims = dict(identity.claims)
        key = f"{identity.connector}|{identity.upstream_id}"
        with self.db.session() as s:
            fi = s.scalar(select(FederatedIdentity).where(FederatedIdentity.connector == identity.connector,
                                                          FederatedIdentity.upstream_id == identity.upstream_id))
            if fi is None:
                user = User(kind=KIND_BY_USER_TYPE.get(identity.user_type, "natural"),
                            name=str(claims.get("name") or ""), email=claims.get("email"))
                s.add(user)
                s.flush()
                fi = FederatedIdentity(user_id=user.id, connector=identity.connector,
                                       upstream_id=identity.upstream_id, created_at=now)
                s.add(fi)
            else:
                user = s.get(User, fi.user_id)
                user.name = str(claims.get("name") or user.name)
                if claims.get("email"):
                    user.email = claims["email"]
            # Upstream is the source of truth: attributes are replaced at every login.
            fi.claims_enc = self._encrypt_claims(key, claims)
            fi.display_name = str(claims.get("name") or "")
            fi.id_number_masked = mask_id_number(claims["cn_id_number"]) if claims.get("cn_id_number") else \
                claims.get("cn_id_number_masked")
            fi.acr = identity.acr
            fi.updated_at = now
            if identity.roles:
                user.roles = sorted(set(identity.roles))
            user.last_login_at = now
            s.flush()
            return user.id, fi.id

    def claims(self, user_id: str, identity_id: int | None) -> dict[str, Any]:
        """Full claims of a user as the session's identity knows them (decrypted)."""
        with self.db.session() as s:
            user = s.get(User, user_id)
            if user is None:
                return {}
            base: dict[str, Any] = {"name": user.name}
            if user.username:
                base["preferred_username"] = user.username
            if user.email:
                base["email"] = user.email
            base["cn_user_type"] = user.kind
            if identity_id is None:
                return base
            fi = s.get(FederatedIdentity, identity_id)
            if fi is None or fi.user_id != user_id or not fi.claims_enc:
                return base
            data = json.loads(self.cipher.decrypt(fi.claims_enc, context=f"identity:{fi.connector}|{fi.upstream_id}"))
        base.update(data)
        return base

    def is_disabled(self, user_id: str) -> bool:
        with self.db.session() as s:
            user = s.get(User, user_id)
            return user is None or bool(user.disabled)

    def identities_of(self, user_id: str) -> list[FederatedIdentity]:
        with self.db.session() as s:
            return list(s.scalars(select(FederatedIdentity).where(FederatedIdentity.user_id == user_id)))
