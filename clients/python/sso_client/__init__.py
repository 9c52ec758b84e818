"""sso_client — the Python SDK of the Unified Identity Gateway (统一身份认证网关).

Core (no web framework needed): :class:`ClientConfig`, :class:`OIDCClient`,
:class:`Discovery`, :class:`TokenSet`, :class:`TokenManager`,
:class:`LogoutTokenValidator`, the session stores, :class:`AccessTokenVerifier`,
:class:`IntrospectionVerifier` and :class:`ClientCredentials`.

Framework glue is imported from its own module so that Flask stays optional:
``from sso_client.flask import SSO, current_sso_user`` and
``from sso_client.wsgi import SSOMiddleware``.
"""

from .acr import acr_rank, acr_satisfies
from .client import OIDCClient
from .config import ClientConfig
from .discovery import Discovery
from .errors import (
    AuthorizationError,
    CallbackError,
    ConfigurationError,
    DiscoveryError,
    InsufficientScope,
    InvalidAccessToken,
    InvalidIdToken,
    InvalidLogoutToken,
    IssuerMismatch,
    KeyNotFound,
    SSOError,
    StateMismatch,
    TokenRequestError,
)
from .logout import LogoutTokenValidator
from .refresh import TokenManager
from .resource import AccessTokenVerifier, IntrospectionVerifier
from .service import ClientCredentials
from .session_store import MemorySessionStore, RedisSessionStore, SessionStore
from .tokens import AuthRequest, TokenSet

__version__ = "0.1.0"

__all__ = [
    "AccessTokenVerifier",
    "AuthRequest",
    "AuthorizationError",
    "CallbackError",
    "ClientConfig",
    "ClientCredentials",
    "ConfigurationError",
    "Discovery",
    "DiscoveryError",
    "InsufficientScope",
    "InvalidAccessToken",
    "InvalidIdToken",
    "InvalidLogoutToken",
    "IntrospectionVerifier",
    "IssuerMismatch",
    "KeyNotFound",
    "LogoutTokenValidator",
    "MemorySessionStore",
    "OIDCClient",
    "RedisSessionStore",
    "SSOError",
    "SessionStore",
    "StateMismatch",
    "TokenManager",
    "TokenRequestError",
    "TokenSet",
    "acr_rank",
    "acr_satisfies",
]
