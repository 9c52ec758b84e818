"""Value objects passed between the SDK and the application."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class AuthRequest:
    """One pending authorization request: what the callback must be checked against.

    Keep it server side or in the signed session between the redirect and the
    callback (:meth:`to_dict` / :meth:`from_dict`); ``code_verifier`` must never reach the browser.
    """

    url: str
    state: str
    nonce: str
    code_verifier: str
    redirect_uri: str
    acr_values: str | None = None
    require_acr: bool = False
    max_age: int | None = None
    created_at: float = field(default_factory=time.time)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable form, without the (long) URL."""
        data = asdict(self)
        data.pop("url")
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> AuthRequest:
        """Rebuild from :meth:`to_dict` output."""
        return cls(url="", **data)


@dataclass(frozen=True)
class TokenSet:
    """Tokens obtained from the gateway, plus the validated id_token claims.

    ``expires_at`` is an absolute UNIX time (``None`` if the gateway sent no
    ``expires_in``). ``claims`` are the id_token claims of the last login or refresh.
    """

    access_token: str
    token_type: str = "Bearer"
    refresh_token: str | None = None
    id_token: str | None = None
    expires_at: float | None = None
    scope: str | None = None
    claims: dict[str, Any] = field(default_factory=dict)

    def needs_refresh(self, skew: float = 30, now: float | None = None) -> bool:
        """True when the access token expires within ``skew`` seconds (or has expired)."""
        if self.expires_at is None:
            return False
        return (time.time() if now is None else now) >= self.expires_at - skew

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable form for a server-side store."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TokenSet:
        """Rebuild from :meth:`to_dict` output."""
        return cls(**data)

    @classmethod
    def from_response(cls, body: dict[str, Any], claims: dict[str, Any], now: float) -> TokenSet:
        """Build from a token endpoint response body."""
        expires_in = body.get("expires_in")
        try:
            expires_at = now + float(expires_in) if expires_in is not None else None
        except (TypeError, ValueError):
            expires_at = None
        return cls(
            access_token=body["access_token"],
            token_type=body.get("token_type", "Bearer"),
            refresh_token=body.get("refresh_token"),
            id_token=body.get("id_token"),
            expires_at=expires_at,
            scope=body.get("scope"),
            claims=claims,
        )
