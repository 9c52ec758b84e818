"""Durable OIDC state: refresh-token families and signing keys."""

from __future__ import annotations

import time

from sqlalchemy import JSON, Boolean, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base


def _now() -> int:
    return int(time.time())


class RefreshToken(Base):
    """One refresh token of a rotation family. Only a hash of the token is stored."""

    __tablename__ = "refresh_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    family_id: Mapped[str] = mapped_column(String(64), index=True)
    client_id: Mapped[str] = mapped_column(String(64), index=True)
    user_id: Mapped[str] = mapped_column(String(64), index=True)
    # which linked identity's claims the grant carries (a refreshed token must see the same corp)
    identity_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    user_type: Mapped[str] = mapped_column(String(16), default="local")
    sid: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    scope: Mapped[str] = mapped_column(Text, default="")
    acr: Mapped[str | None] = mapped_column(String(64), nullable=True)
    amr: Mapped[list] = mapped_column(JSON, default=list)
    auth_time: Mapped[int] = mapped_column(Integer, default=_now)
    offline: Mapped[bool] = mapped_column(Boolean, default=False)
    issued_at: Mapped[int] = mapped_column(Integer, default=_now)
    expires_at: Mapped[int] = mapped_column(Integer)
    used_at: Mapped[int | None] = mapped_column(Integer, nullable=True)
    revoked_at: Mapped[int | None] = mapped_column(Integer, nullable=True)


class SigningKey(Base):
    """A JWS signing key. ``state``: active (signs), retiring (verifies only), retired (gone from JWKS)."""

    __tablename__ = "signing_keys"

    kid: Mapped[str] = mapped_column(String(64), primary_key=True)
    alg: Mapped[str] = mapped_column(String(10))
    private_enc: Mapped[str] = mapped_column(Text)  # PEM, encrypted with the data key
    public_jwk: Mapped[dict] = mapped_column(JSON)
    state: Mapped[str] = mapped_column(String(12), default="active")
    created_at: Mapped[int] = mapped_column(Integer, default=_now)
    # published in JWKS from created_at, signs from not_before: relying parties see a key before
    # any token signed with it arrives
    not_before: Mapped[int | None] = mapped_column(Integer, nullable=True)
    retiring_at: Mapped[int | None] = mapped_column(Integer, nullable=True)
    retire_after: Mapped[int | None] = mapped_column(Integer, nullable=True)  # leaves JWKS after this
