"""Admin data: second factors, registration requests, and anchors left by audit purges."""

from __future__ import annotations

import time

from sqlalchemy import JSON, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base


def _now() -> int:
    return int(time.time())


class AdminMfa(Base):
    """An admin's TOTP factor: the secret encrypted at rest, recovery codes only as keyed hashes."""

    __tablename__ = "admin_mfa"

    user_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    secret_enc: Mapped[str] = mapped_column(Text)
    confirmed_at: Mapped[int | None] = mapped_column(Integer, nullable=True)
    last_step: Mapped[int] = mapped_column(Integer, default=0)  # a code is accepted once (replay)
    recovery_hashes: Mapped[list] = mapped_column(JSON, default=list)
    created_at: Mapped[int] = mapped_column(Integer, default=_now)


class RegistrationRequest(Base):
    """A department developer's request for a new relying party, approved by a system admin."""

    __tablename__ = "registration_requests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    requester_id: Mapped[str] = mapped_column(String(64), index=True)
    requester_name: Mapped[str] = mapped_column(String(200), default="")
    name: Mapped[str] = mapped_column(String(200))
    department: Mapped[str] = mapped_column(String(200), default="", index=True)
    payload: Mapped[dict] = mapped_column(JSON, default=dict)  # the relying-party fields asked for
    status: Mapped[str] = mapped_column(String(12), default="pending", index=True)  # pending|approved|rejected
    reason: Mapped[str] = mapped_column(Text, default="")
    decided_by: Mapped[str | None] = mapped_column(String(128), nullable=True)
    decided_at: Mapped[int | None] = mapped_column(Integer, nullable=True)
    client_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # The issued secret, encrypted, until the requester has seen it once; then erased.
    secret_enc: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[int] = mapped_column(Integer, default=_now)


class AuditAnchor(Base):
    """Left by ``audit purge``: the HMAC of the last purged record, so the chain that remains
    still verifies from its first record (and deleting that first record is still detected)."""

    __tablename__ = "audit_anchors"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[int] = mapped_column(Integer, default=_now)
    last_id: Mapped[int] = mapped_column(Integer)
    last_hmac: Mapped[str] = mapped_column(String(64))
    purged: Mapped[int] = mapped_column(Integer, default=0)
    before_ts: Mapped[int] = mapped_column(Integer)
    export_sha256: Mapped[str] = mapped_column(String(64), default="")
    anchor_hmac: Mapped[str] = mapped_column(String(64), default="")
