"""Validation of relying-party registrations: the rules an admin cannot bypass."""

from __future__ import annotations

from urllib.parse import urlsplit

GRANT_TYPES = ("authorization_code", "refresh_token", "client_credentials")
AUTH_METHODS = ("client_secret_basic", "client_secret_post", "private_key_jwt", "none")
SUBJECT_TYPES = ("public", "pairwise")
USER_TYPES = ("natural", "legal", "staff", "local")
LOOPBACK = ("127.0.0.1", "localhost", "::1")


class RegistrationError(ValueError):
    """A registration is invalid; ``errors`` lists every problem."""

    def __init__(self, errors: list[str]):
        super().__init__("; ".join(errors))
        self.errors = errors


def check_uri(uri: str, what: str, errors: list[str]) -> None:
    if not isinstance(uri, str) or not uri or len(uri) > 2000:
        errors.append(f"{what}: must be a non-empty URI of at most 2000 characters")
        return
    if any(c in uri for c in "*\\ \t\r\n<>\"") :
        errors.append(f"{what}: wildcards, spaces and backslashes are not allowed: {uri!r}")
        return
    try:
        parts = urlsplit(uri)
        host = parts.hostname
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError:
        errors.append(f"{what}: not a valid URI: {uri!r}")
        return
    if parts.fragment or "#" in uri:
        errors.append(f"{what}: must not contain a fragment: {uri!r}")
    if parts.username or parts.password or "@" in parts.netloc:
        errors.append(f"{what}: must not contain user information: {uri!r}")
    if parts.scheme == "https" and host:
        return
    if parts.scheme == "http" and host in LOOPBACK:
        return  # loopback for development (RFC 8252 §7.3)
    errors.append(f"{what}: must be https (http only for loopback development): {uri!r}")


def validate_registration(*, name: str, redirect_uris, post_logout_redirect_uris, backchannel_logout_uri,
                          frontchannel_logout_uri, grant_types, scope: str, token_endpoint_auth_method: str,
                          subject_type: str, id_token_signed_response_alg: str, allowed_user_types,
                          min_acr_level: int, jwks=None, supported_scopes=None) -> None:
    errors: list[str] = []
    if not name or len(name) > 200:
        errors.append("name: 1 to 200 characters")
    for g in grant_types:
        if g not in GRANT_TYPES:
            errors.append(f"grant type {g!r} is not supported ({', '.join(GRANT_TYPES)})")
    if not grant_types:
        errors.append("at least one grant type")
    if "authorization_code" in grant_types and not redirect_uris:
        errors.append("redirect URIs: at least one for the authorization_code grant")
    if "refresh_token" in grant_types and "authorization_code" not in grant_types:
        errors.append("refresh_token needs the authorization_code grant")
    for u in redirect_uris:
        check_uri(u, "redirect URI", errors)
    for u in post_logout_redirect_uris:
        check_uri(u, "post-logout redirect URI", errors)
    for u, what in ((backchannel_logout_uri, "back-channel logout URI"),
                    (frontchannel_logout_uri, "front-channel logout URI")):
        if u:
            check_uri(u, what, errors)
    if token_endpoint_auth_method not in AUTH_METHODS:
        errors.append(f"token endpoint auth method: one of {', '.join(AUTH_METHODS)}")
    if token_endpoint_auth_method == "none" and "client_credentials" in grant_types:
        errors.append("a public client cannot use client_credentials")
    if token_endpoint_auth_method == "private_key_jwt" and not jwks:
        errors.append("private_key_jwt needs the client's public keys (jwks)")
    if subject_type not in SUBJECT_TYPES:
        errors.append("subject type: public or pairwise")
    if id_token_signed_response_alg not in ("RS256", "ES256"):
        errors.append("id_token signing alg: RS256 or ES256")
    for t in allowed_user_types:
        if t not in USER_TYPES:
            errors.append(f"user type {t!r}: one of {', '.join(USER_TYPES)}")
    if not 0 <= int(min_acr_level) <= 3:
        errors.append("minimum assurance level: 0 to 3")
    scopes = scope.split()
    unknown = [s for s in scopes if supported_scopes is not None and s not in supported_scopes]
    if unknown:
        errors.append(f"scope: not offered by this gateway: {', '.join(unknown)} "
                      f"(supported: {', '.join(supported_scopes)})")
    if "authorization_code" in grant_types and "openid" not in scopes:
        errors.append("scope: must include openid for the authorization_code grant")
    if errors:
        raise RegistrationError(errors)
