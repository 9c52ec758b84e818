"""People the gateway knows: local accounts and identities federated from upstreams."""

from __future__ import annotations

import time
import uuid

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base


def _now() -> int:
    return int(time.time())


def _uuid() -> str:
    return str(uuid.uuid4())


class User(Base):
    """One person. ``id`` is internal and never shown to relying parties (they get ``sub``)."""

    __tablename__ = "users"

    id: Mapped[str] = mapped_column(String(64), primary_key=True, default=_uuid)
    kind: Mapped[str] = mapped_column(String(16), default="local")  # local | natural | legal | staff
    username: Mapped[str | None] = mapped_column(String(128), unique=True, nullable=True)
    password_hash: Mapped[str | None] = mapped_column(Text, nullable=True)
    password_changed_at: Mapped[int | None] = mapped_column(Integer, nullable=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    email: Mapped[str | None] = mapped_column(String(255), nullable=True)
    roles: Mapped[list] = mapped_column(JSON, default=list)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    locked_until: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[int] = mapped_column(Integer, default=_now)
    last_login_at: Mapped[int | None] = mapped_column(Integer, nullable=True)


class FederatedIdentity(Base):
    """A link from a user to an upstream account, keyed by the upstream's stable id."""

    __tablename__ = "federated_identities"
    __table_args__ = (UniqueConstraint("connector", "upstream_id", name="uq_identity_upstream"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    connector: Mapped[str] = mapped_column(String(64))
    upstream_id: Mapped[str] = mapped_column(String(255))
    # Claims as the upstream gave them, encrypted (they include ID numbers and mobiles).
    claims_enc: Mapped[str] = mapped_column(Text, default="")
    # Masked copies for search and display in the admin console (never the full values).
    display_name: Mapped[str] = mapped_column(String(200), default="")
    id_number_masked: Mapped[str | None] = mapped_column(String(32), nullable=True, index=True)
    acr: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[int] = mapped_column(Integer, default=_now)
    updated_at: Mapped[int] = mapped_column(Integer, default=_now)


class PasswordHistory(Base):
    __tablename__ = "password_history"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    password_hash: Mapped[str] = mapped_column(Text)
    created_at: Mapped[int] = mapped_column(Integer, default=_now)
