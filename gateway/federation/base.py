"""The one interface every upstream connector shares: authenticate -> normalised ``Identity``.

Connectors never see relying parties, scopes or tokens; ``oidc/`` never imports a connector.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping


@dataclass(frozen=True)
class Identity:
    """An authenticated person as an upstream vouched for them.

    ``connector`` + ``upstream_id`` is the stable key of the identity (never a name or a mobile).
    ``claims`` are already mapped to OIDC claim names; personal numbers in them are *full* values
    (the gateway encrypts them at rest and masks them on release).
    """

    connector: str  # "local" | "provincial" | "ldap:<directory>"
    upstream_id: str
    claims: Mapping[str, Any]
    auth_time: int
    amr: tuple[str, ...] = ()
    acr: str | None = None
    user_type: str = "natural"  # natural | legal | staff | local
    roles: tuple[str, ...] = ()
    upstream_session: Mapping[str, Any] = field(default_factory=dict)  # e.g. provincial sessionIndex


class ConnectorError(Exception):
    """Authentication at an upstream failed.

    ``user_message`` is safe to show (zh-CN key resolved by the view); ``reason`` is for the audit
    log only and may name the technical cause.
    """

    def __init__(self, user_message: str, reason: str = "", *, retryable: bool = False):
        super().__init__(reason or user_message)
        self.user_message = user_message
        self.reason = reason or user_message
        self.retryable = retryable


class InvalidCredentials(ConnectorError):
    """Wrong username or password (deliberately the same message for an unknown user)."""


class UpstreamUnavailable(ConnectorError):
    """The upstream is down, slow or answered with a fault."""
