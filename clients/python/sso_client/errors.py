"""Exceptions raised by sso_client.

Every exception derives from :class:`SSOError`, so an application can catch the
whole family in one place and still tell the cases apart when it needs to.
"""

from __future__ import annotations


class SSOError(Exception):
    """Base class of every error raised by sso_client."""


class ConfigurationError(SSOError):
    """The SDK is configured incompletely or inconsistently."""


class DiscoveryError(SSOError):
    """Provider metadata or the JWKS could not be fetched or is invalid."""


class KeyNotFound(DiscoveryError):
    """No key in the provider's JWKS matches the token's ``kid``."""


class CallbackError(SSOError):
    """The authorization response (the redirect back to the portal) is unacceptable."""


class AuthorizationError(CallbackError):
    """The provider answered the authorization request with ``error=...``.

    ``error`` is the OAuth error code (``access_denied``, ``login_required`` ...),
    ``description`` the optional ``error_description``.
    """

    def __init__(self, error: str, description: str | None = None) -> None:
        self.error = error
        self.description = description
        super().__init__(f"{error}: {description}" if description else error)


class StateMismatch(CallbackError):
    """The ``state`` in the callback does not match the one sent (possible CSRF)."""


class IssuerMismatch(CallbackError):
    """The ``iss`` callback parameter (RFC 9207) is not the configured issuer (mix-up attack)."""


class TokenRequestError(SSOError):
    """The token, introspection or revocation endpoint refused a request.

    ``error`` is the OAuth error code (``invalid_grant`` ...) when the provider
    returned one, ``status`` the HTTP status code.
    """

    def __init__(self, error: str, description: str | None = None, status: int | None = None) -> None:
        self.error = error
        self.description = description
        self.status = status
        super().__init__(f"{error}: {description}" if description else error)


class InvalidIdToken(SSOError):
    """The id_token failed validation (signature, iss, aud, azp, exp, iat, nonce, acr ...)."""


class InvalidLogoutToken(SSOError):
    """A back-channel logout token failed validation or was replayed."""


class InvalidAccessToken(SSOError):
    """A bearer access token presented to a resource server is invalid or expired (HTTP 401)."""


class InsufficientScope(SSOError):
    """A valid access token lacks the scope the resource requires (HTTP 403)."""

    def __init__(self, required: str) -> None:
        self.required = required
        super().__init__(f"token lacks required scope: {required}")
