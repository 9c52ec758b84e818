"""RFC 7662 introspection and RFC 7009 revocation over our token formats, and private_key_jwt."""

from __future__ import annotations

from dataclasses import dataclass

from authlib.oauth2.rfc7009 import RevocationEndpoint as _RevocationEndpoint
from authlib.oauth2.rfc7523 import JWTBearerClientAssertion
from authlib.oauth2.rfc7662 import IntrospectionEndpoint as _IntrospectionEndpoint
from flask import current_app
from joserfc.jwk import KeySet

from .tokens import InvalidAccessToken

INTROSPECT_SCOPE = "gateway:introspect"
ENDPOINT_AUTH = ["client_secret_basic", "client_secret_post", "private_key_jwt"]


def services():
    return current_app.extensions["gateway"]


@dataclass
class AccessTokenRecord:
    claims: dict

    def check_client(self, client) -> bool:
        return self.claims.get("client_id") == client.client_id


@dataclass
class RefreshTokenRecord:
    row: object

    def check_client(self, client) -> bool:
        return self.row.client_id == client.client_id


def _lookup(token: str, hint: str | None):
    svc = services()
    if not isinstance(token, str) or not token or len(token) > 8192:
        return None
    if hint != "refresh_token" and token.count(".") == 2:
        try:
            return AccessTokenRecord(svc.access_tokens.verify(token))
        except InvalidAccessToken:
            return None
    row = svc.refresh_tokens.find(token)
    if row is not None:
        return RefreshTokenRecord(row)
    return None


class IntrospectionEndpoint(_IntrospectionEndpoint):
    CLIENT_AUTH_METHODS = ENDPOINT_AUTH

    def query_token(self, token_string, token_type_hint):
        return _lookup(token_string, token_type_hint)

    def check_permission(self, token, client, request):
        # The token's own client, or a resource server registered for introspection.
        return token.check_client(client) or INTROSPECT_SCOPE in client.scope.split()

    def introspect_token(self, token):
        svc = services()
        now = svc.clock()
        if isinstance(token, AccessTokenRecord):
            c = token.claims
            return {"active": True, "token_type": "Bearer", "client_id": c["client_id"], "scope": c.get("scope", ""),
                    "sub": c["sub"], "aud": c["aud"], "iss": c["iss"], "exp": c["exp"], "iat": c["iat"],
                    "jti": c["jti"], **({"acr": c["acr"]} if c.get("acr") else {})}
        row = token.row
        if row.revoked_at or row.used_at or row.expires_at < now:
            return {"active": False}
        return {"active": True, "token_type": "refresh_token", "client_id": row.client_id, "scope": row.scope,
                "exp": row.expires_at, "iat": row.issued_at, "iss": svc.settings.issuer}

    def create_introspection_payload(self, token):
        if not token:
            return {"active": False}
        return self.introspect_token(token)


class RevocationEndpoint(_RevocationEndpoint):
    CLIENT_AUTH_METHODS = ENDPOINT_AUTH + ["none"]

    def query_token(self, token_string, token_type_hint):
        return _lookup(token_string, token_type_hint)

    def revoke_token(self, token, request):
        svc = services()
        if isinstance(token, AccessTokenRecord):
            svc.revocations.revoke(token.claims["jti"], int(token.claims["exp"] - svc.clock()) + 60)
            svc.audit.record("token.revoke", client_id=token.claims["client_id"], kind="access_token")
        else:
            svc.refresh_tokens.revoke_family(token.row.family_id)
            svc.audit.record("token.revoke", client_id=token.row.client_id, user_id=token.row.user_id,
                             kind="refresh_token")


class PrivateKeyJWT(JWTBearerClientAssertion):
    """private_key_jwt (OIDC Core §9): assertion signed with a key the client registered."""

    CLIENT_AUTH_METHOD = "private_key_jwt"

    def get_audiences(self):
        issuer = services().settings.issuer
        return [f"{issuer}/token", issuer]

    def validate_jti(self, claims, jti):
        return services().once_jti.first(f"{claims.get('iss')}:{jti}", 600)

    def resolve_client_public_key(self, client):
        return KeySet.import_key_set(client.jwks or {"keys": []})
