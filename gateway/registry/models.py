"""Relying parties (the department systems that trust the gateway) and users' consents."""

from __future__ import annotations

import time

from sqlalchemy import JSON, Boolean, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base


def _now() -> int:
    return int(time.time())


class RelyingParty(Base):
    __tablename__ = "relying_parties"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_id: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    name: Mapped[str] = mapped_column(String(200))
    department: Mapped[str] = mapped_column(String(200), default="", index=True)
    # HMAC-SHA256 of the secret under a server key; None for public clients.
    secret_hash: Mapped[str | None] = mapped_column(String(128), nullable=True)
    secret_rotated_at: Mapped[int | None] = mapped_column(Integer, nullable=True)
    redirect_uris: Mapped[list] = mapped_column(JSON, default=list)
    post_logout_redirect_uris: Mapped[list] = mapped_column(JSON, default=list)
    backchannel_logout_uri: Mapped[str | None] = mapped_column(Text, nullable=True)
    frontchannel_logout_uri: Mapped[str | None] = mapped_column(Text, nullable=True)
    grant_types: Mapped[list] = mapped_column(JSON, default=list)
    scope: Mapped[str] = mapped_column(Text, default="openid")
    token_endpoint_auth_method: Mapped[str] = mapped_column(String(40), default="client_secret_basic")
    jwks: Mapped[dict | None] = mapped_column(JSON, nullable=True)  # for private_key_jwt
    subject_type: Mapped[str] = mapped_column(String(20), default="pairwise")
    sector_identifier: Mapped[str | None] = mapped_column(String(255), nullable=True)
    id_token_signed_response_alg: Mapped[str] = mapped_column(String(10), default="RS256")
    allowed_user_types: Mapped[list] = mapped_column(JSON, default=lambda: ["natural", "legal", "staff", "local"])
    min_acr_level: Mapped[int] = mapped_column(Integer, default=0)
    release_policy: Mapped[dict] = mapped_column(JSON, default=dict)  # claim -> {basis, purpose}
    first_party: Mapped[bool] = mapped_column(Boolean, default=False)  # skip consent (statutory portals)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[int] = mapped_column(Integer, default=_now)
    updated_at: Mapped[int] = mapped_column(Integer, default=_now, onupdate=_now)

    @property
    def is_public(self) -> bool:
        return self.token_endpoint_auth_method == "none"


class Consent(Base):
    __tablename__ = "consents"
    __table_args__ = (UniqueConstraint("user_id", "client_id", name="uq_consent_user_client"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[str] = mapped_column(String(64), index=True)
    client_id: Mapped[str] = mapped_column(String(64), index=True)
    scope: Mapped[str] = mapped_column(Text, default="")
    claims: Mapped[list] = mapped_column(JSON, default=list)
    policy_version: Mapped[int] = mapped_column(Integer, default=1)
    granted_at: Mapped[int] = mapped_column(Integer, default=_now)
    expires_at: Mapped[int] = mapped_column(Integer)
    withdrawn_at: Mapped[int | None] = mapped_column(Integer, nullable=True)
