"""Local accounts (admins and tests): create, authenticate, change password."""

from __future__ import annotations

import time
from typing import Callable

from sqlalchemy import select

from ..db import Database
from ..federation.base import Identity, InvalidCredentials
from ..settings import SecuritySettings
from .models import PasswordHistory, User
from .passwords import PasswordPolicyError, check_policy, make_hasher, verify

LOCAL_ACR = "urn:weifang:gateway:loa:local"
# A real argon2id hash of a random password: unknown usernames cost the same time as known ones.
_DUMMY_PASSWORD = "timing-equaliser-not-a-password"


class LocalAccounts:
    def __init__(self, db: Database, s: SecuritySettings, clock: Callable[[], float] = time.time):
        self.db, self.s, self.clock = db, s, clock
        self.hasher = make_hasher(s)
        self._dummy = self.hasher.hash(_DUMMY_PASSWORD)

    def create(self, username: str, password: str, name: str = "", email: str | None = None,
               roles: tuple[str, ...] = (), enforce_policy: bool = True) -> User:
        if not username or len(username) > 128 or any(c.isspace() for c in username) or "@" in username:
            raise ValueError("username: 1-128 characters, no spaces, no '@' (reserved for directory logins)")
        if enforce_policy:
            check_policy(password, username, self.s)
        now = int(self.clock())
        with self.db.session() as s:
            if s.scalar(select(User.id).where(User.username == username)) is not None:
                raise ValueError(f"username {username!r} already exists")
            hashed = self.hasher.hash(password)
            user = User(kind="local", username=username, password_hash=hashed, password_changed_at=now,
                        name=name or username, email=email, roles=list(roles))
            s.add(user)
            s.flush()
            s.add(PasswordHistory(user_id=user.id, password_hash=hashed, created_at=now))
        return user

    def authenticate(self, username: str, password: str) -> Identity:
        """Raises InvalidCredentials with one message for every way a login can fail."""
        if not username or not password or len(username) > 128 or len(password) > 256:
            raise InvalidCredentials("login.invalid_credentials", "empty or oversized credentials")
        with self.db.session() as s:
            user = s.scalar(select(User).where(User.username == username, User.kind == "local"))
            if user is None:
                verify(self.hasher, self._dummy, password)
                raise InvalidCredentials("login.invalid_credentials", "unknown user")
            if not verify(self.hasher, user.password_hash or self._dummy, password):
                raise InvalidCredentials("login.invalid_credentials", "wrong password")
            if user.disabled:
                raise InvalidCredentials("login.invalid_credentials", "account disabled")
            if self.hasher.check_needs_rehash(user.password_hash):
                user.password_hash = self.hasher.hash(password)  # parameters changed: upgrade in place
            user.last_login_at = int(self.clock())
            return Identity(connector="local", upstream_id=user.id,
                            claims={"name": user.name, "preferred_username": user.username, "email": user.email},
                            auth_time=int(self.clock()), amr=("pwd",), acr=LOCAL_ACR, user_type="local",
                            roles=tuple(user.roles or ()))

    def password_expired(self, user_id: str) -> bool:
        if self.s.password_max_age_days <= 0:
            return False
        with self.db.session() as s:
            user = s.get(User, user_id)
            changed = user.password_changed_at or 0 if user else 0
        return changed + self.s.password_max_age_days * 86400 < self.clock()

    def change_password(self, user_id: str, old: str, new: str) -> None:
        with self.db.session() as s:
            user = s.get(User, user_id)
            if user is None or not verify(self.hasher, user.password_hash or self._dummy, old):
                raise PasswordPolicyError("当前密码不正确 / the current password is wrong")
            check_policy(new, user.username or "", self.s)
            recent = s.scalars(select(PasswordHistory.password_hash).where(PasswordHistory.user_id == user_id)
                               .order_by(PasswordHistory.id.desc()).limit(self.s.password_history)).all()
            if any(verify(self.hasher, h, new) for h in recent):
                raise PasswordPolicyError(f"不能重复使用最近 {self.s.password_history} 次的密码 / "
                                          f"must not reuse one of the last {self.s.password_history} passwords")
            hashed = self.hasher.hash(new)
            now = int(self.clock())
            user.password_hash, user.password_changed_at = hashed, now
            s.add(PasswordHistory(user_id=user_id, password_hash=hashed, created_at=now))

    def find(self, username: str) -> User | None:
        with self.db.session() as s:
            return s.scalar(select(User).where(User.username == username))
