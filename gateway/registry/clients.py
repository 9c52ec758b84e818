"""The relying party as authlib sees it: an immutable snapshot implementing ``ClientMixin``.

Snapshots are cached per process for a few seconds (``ClientStore``) so the token hot path does
not query SQL on every request; a disabled client stops working within that window.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from authlib.oauth2.rfc6749 import ClientMixin, list_to_scope, scope_to_list

from ..crypto import constant_time_equal, keyed_hash


@dataclass(frozen=True)
class Client(ClientMixin):
    client_id: str
    name: str
    department: str
    secret_hash: str | None
    redirect_uris: tuple[str, ...]
    post_logout_redirect_uris: tuple[str, ...]
    backchannel_logout_uri: str | None
    frontchannel_logout_uri: str | None
    grant_types: tuple[str, ...]
    scope: str
    token_endpoint_auth_method: str
    jwks: dict | None
    subject_type: str
    sector_identifier: str
    id_token_signed_response_alg: str
    allowed_user_types: tuple[str, ...]
    min_acr_level: int
    release_policy: dict
    first_party: bool
    enabled: bool
    version: int
    secret_key: bytes = field(repr=False, compare=False, default=b"")

    # ClientMixin ------------------------------------------------------------------------------
    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> str | None:
        # OIDC requires redirect_uri on every request; never guess one.
        return None

    def get_allowed_scope(self, scope: str | None) -> str:
        if not scope:
            return ""
        allowed = set(scope_to_list(self.scope))
        return list_to_scope([s for s in scope_to_list(scope) if s in allowed])

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        # Exact string comparison (RFC 9700 §4.1.3): no prefix, no normalisation.
        return redirect_uri in self.redirect_uris

    def check_client_secret(self, client_secret: str) -> bool:
        if not self.secret_hash or not isinstance(client_secret, str) or len(client_secret) > 512:
            return False
        return constant_time_equal(keyed_hash(self.secret_key, client_secret), self.secret_hash)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        if endpoint == "token":
            return method == self.token_endpoint_auth_method
        # introspection / revocation: the same credentials the client uses at /token
        return method == self.token_endpoint_auth_method

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code" and "authorization_code" in self.grant_types

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type in self.grant_types

    # Gateway helpers --------------------------------------------------------------------------
    @property
    def is_public(self) -> bool:
        return self.token_endpoint_auth_method == "none"

    def allows_user_type(self, user_type: str) -> bool:
        return user_type in self.allowed_user_types
