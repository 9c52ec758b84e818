"""Relying-party configuration."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .errors import ConfigurationError

TOKEN_AUTH_METHODS = ("client_secret_basic", "client_secret_post", "none")


@dataclass(frozen=True)
class ClientConfig:
    """Everything the SDK needs to know about one registered relying party.

    :param issuer: the gateway's issuer URL, exactly as in its discovery document.
    :param client_id: the client id given at registration.
    :param client_secret: the client secret; ``None`` for a public client (PKCE only).
    :param redirect_uri: the registered callback URL (``https://portal/sso/callback``).
    :param scope: space-separated scopes to request; must contain ``openid``.
    :param post_logout_redirect_uri: where the gateway sends the browser after logout.
    :param leeway: clock skew in seconds tolerated when checking ``exp``/``iat``.
    :param http_timeout: timeout in seconds for every call to the gateway.
    :param token_endpoint_auth_method: ``client_secret_basic`` (default when a secret is set),
        ``client_secret_post``, or ``none`` (public client; the default without a secret).
    :param id_token_algorithms: algorithms accepted for id_token signatures.
    :param discovery_ttl: seconds the discovery document and JWKS are cached.
    :param jwks_min_refetch_interval: at most one JWKS refetch per this many seconds on an unknown ``kid``.
    :param extra_authorize_params: parameters added to every authorization request.
    :param acr_ranks: ranks for acr values outside ``urn:sd:tysfrz:loa:N`` (see :mod:`sso_client.acr`).
    """

    issuer: str
    client_id: str
    client_secret: str | None = None
    redirect_uri: str | None = None
    scope: str = "openid profile"
    post_logout_redirect_uri: str | None = None
    leeway: int = 60
    http_timeout: float = 5
    token_endpoint_auth_method: str | None = None
    id_token_algorithms: tuple[str, ...] = ("RS256", "ES256")
    discovery_ttl: float = 3600
    jwks_min_refetch_interval: float = 60
    extra_authorize_params: dict[str, Any] = field(default_factory=dict)
    acr_ranks: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.issuer or not self.client_id:
            raise ConfigurationError("issuer and client_id are required")
        if "openid" not in self.scope.split():
            raise ConfigurationError("scope must contain 'openid'")
        method = self.auth_method
        if method not in TOKEN_AUTH_METHODS:
            raise ConfigurationError(f"unsupported token_endpoint_auth_method: {method}")
        if method != "none" and not self.client_secret:
            raise ConfigurationError(f"{method} needs a client_secret")
        bad = set(self.id_token_algorithms) - {"RS256", "ES256"}
        if bad:
            raise ConfigurationError(f"unsupported id_token algorithms: {sorted(bad)}")

    @property
    def auth_method(self) -> str:
        """The effective token endpoint authentication method."""
        if self.token_endpoint_auth_method:
            return self.token_endpoint_auth_method
        return "client_secret_basic" if self.client_secret else "none"
