"""authlib grants and extensions, each hook delegating to our stores."""

from __future__ import annotations

from authlib.oauth2.rfc6749 import grants
from authlib.oauth2.rfc6749.errors import InvalidRequestError
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oidc.core import OpenIDCode as _OpenIDCode
from authlib.oidc.core import UserInfo
from flask import current_app, g

from .principal import GrantUser
from .refresh import ReuseDetected
from .subject import subject_for

CLIENT_AUTH_METHODS = ["client_secret_basic", "client_secret_post", "private_key_jwt", "none"]


def services():
    return current_app.extensions["gateway"]


class AuthorizationCode:
    """A redeemed code's data (authlib's ``AuthorizationCodeMixin`` contract)."""

    def __init__(self, code: str, data: dict):
        self.code, self.data = code, data

    def get_redirect_uri(self):
        return self.data["redirect_uri"]

    def get_scope(self):
        return self.data["scope"]

    def get_nonce(self):
        return self.data.get("nonce")

    def get_auth_time(self):
        return self.data["user"].get("auth_time")

    def get_acr(self):
        return self.data["user"].get("acr")

    def get_amr(self):
        return self.data["user"].get("amr") or None

    @property
    def code_challenge(self):
        return self.data.get("code_challenge")

    @property
    def code_challenge_method(self):
        return self.data.get("code_challenge_method")


class AuthorizationCodeGrant(grants.AuthorizationCodeGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = CLIENT_AUTH_METHODS

    def save_authorization_code(self, code, request):
        user: GrantUser = request.user
        data = request.payload.data
        services().codes.save(code, {
            "client_id": request.client.client_id,
            "redirect_uri": request.payload.redirect_uri,
            "scope": request.scope,
            "nonce": data.get("nonce"),
            "code_challenge": data.get("code_challenge"),
            "code_challenge_method": data.get("code_challenge_method"),
            "user": user.to_dict(),
        })

    def query_authorization_code(self, code, client):
        if not isinstance(code, str) or len(code) > 256:
            return None
        svc = services()
        data = svc.codes.take(code)
        if data is None:
            issued = svc.codes.used(code)
            if issued:  # replay of a redeemed code: revoke what it issued (RFC 6749 §4.1.2)
                svc.revoke_issued(issued)
                svc.audit.record("token.code_replay", result="failure", client_id=client.client_id,
                                 user_id=issued.get("user_id"))
            return None
        if data["client_id"] != client.client_id:
            svc.audit.record("token.code_wrong_client", result="failure", client_id=client.client_id)
            return None
        return AuthorizationCode(code, data)

    def delete_authorization_code(self, authorization_code):
        pass  # already taken atomically in query_authorization_code

    def authenticate_user(self, authorization_code):
        return GrantUser.from_dict(authorization_code.data["user"])


class PKCE(CodeChallenge):
    """PKCE with S256 only; required for public clients, accepted for all (RFC 9700 §2.1.1)."""

    SUPPORTED_CODE_CHALLENGE_METHOD = ["S256"]
    DEFAULT_CODE_CHALLENGE_METHOD = "S256"

    def validate_code_challenge(self, grant, redirect_uri):
        data = grant.request.payload.data
        if grant.request.client.is_public and not data.get("code_challenge"):
            raise InvalidRequestError("PKCE (code_challenge with S256) is required for public clients")
        if data.get("code_challenge") and data.get("code_challenge_method", "plain") != "S256":
            raise InvalidRequestError("code_challenge_method must be S256")
        return super().validate_code_challenge(grant, redirect_uri)

    def get_authorization_code_challenge(self, authorization_code):
        return authorization_code.code_challenge

    def get_authorization_code_challenge_method(self, authorization_code):
        return authorization_code.code_challenge_method


class OpenIDCode(_OpenIDCode):
    def exists_nonce(self, nonce, request):
        # The same /authorize request is validated before and after login, so a nonce cache here
        # would refuse legitimate flows; replay of a nonce is detected by the RP (it checks it
        # against its own state), as OIDC Core §15.5.2 describes.
        return False

    def encode_id_token(self, token, request):
        g.oidc_client = request.client  # generate_user_info is not given the request
        return super().encode_id_token(token, request)

    def resolve_client_private_key(self, client):
        return services().keys.signing_key(client.id_token_signed_response_alg)

    def get_client_algorithm(self, client):
        return client.id_token_signed_response_alg

    def get_encode_header(self, client):
        key = services().keys.signing_key(client.id_token_signed_response_alg)
        return {"alg": client.id_token_signed_response_alg, "kid": key.kid, "typ": "JWT"}

    def get_client_claims(self, client):
        svc = services()
        now = int(svc.clock())
        return {"iss": svc.settings.issuer, "aud": [client.client_id], "azp": client.client_id,
                "iat": now, "exp": now + svc.settings.tokens.id_token_lifetime}

    def generate_user_info(self, user: GrantUser, scope):
        svc = services()
        client = g.oidc_client
        info = UserInfo(sub=subject_for(user.user_id, client, svc.subject_key))
        if user.sid:
            info["sid"] = user.sid
        info.update(svc.released_claims(user, client, scope, "id_token"))
        return info


class RefreshTokenGrant(grants.RefreshTokenGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = CLIENT_AUTH_METHODS
    INCLUDE_NEW_REFRESH_TOKEN = True

    def authenticate_refresh_token(self, refresh_token):
        svc = services()
        client = self.request.client
        try:
            grant = svc.refresh_tokens.consume(refresh_token, client.client_id)
        except ReuseDetected as reuse:
            svc.refresh_tokens.revoke_family(reuse.family_id)
            svc.audit.record("token.refresh_reuse", result="failure", client_id=reuse.client_id,
                             user_id=reuse.user_id, family=reuse.family_id)
            return None
        if grant is None:
            return None
        if not grant.offline and grant.sid and svc.session_ended(grant.sid):
            svc.refresh_tokens.revoke_family(grant.family_id)
            return None
        self.request.refresh_grant = grant
        return grant

    def authenticate_user(self, refresh_token):
        return GrantUser(user_id=refresh_token.user_id, sid=refresh_token.sid, auth_time=refresh_token.auth_time,
                         acr=refresh_token.acr, amr=refresh_token.amr, user_type=refresh_token.user_type,
                         identity_id=refresh_token.identity_id)

    def revoke_old_credential(self, refresh_token):
        pass  # consumed atomically in authenticate_refresh_token


class ClientCredentialsGrant(grants.ClientCredentialsGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post", "private_key_jwt"]

