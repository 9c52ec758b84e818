"""Which portal received which claims, when, on what basis. Never the values themselves."""

from __future__ import annotations

from sqlalchemy import JSON, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base


class Disclosure(Base):
    __tablename__ = "disclosures"
    __table_args__ = (Index("ix_disclosures_user_at", "user_id", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[str] = mapped_column(String(64))
    client_id: Mapped[str] = mapped_column(String(64), index=True)
    channel: Mapped[str] = mapped_column(String(16))  # id_token | userinfo
    claims: Mapped[dict] = mapped_column(JSON)  # claim -> basis
    at: Mapped[int] = mapped_column(Integer, index=True)
