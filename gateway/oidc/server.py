"""Build the authlib AuthorizationServer for one app (never a module-level server)."""

from __future__ import annotations

from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749 import OAuth2Request
from authlib.oauth2.rfc6749.requests import BasicOAuth2Payload
from flask import request as flask_request

from .claims import SCOPES_SUPPORTED
from .endpoints import IntrospectionEndpoint, PrivateKeyJWT, RevocationEndpoint
from .grants import PKCE, AuthorizationCodeGrant, ClientCredentialsGrant, OpenIDCode, RefreshTokenGrant


class GatewayAuthorizationServer(AuthorizationServer):
    def create_oauth2_request(self, request):
        if isinstance(request, OAuth2Request):
            return request
        return super().create_oauth2_request(request)

    def handle_response(self, status_code, payload, headers):
        response = super().handle_response(status_code, payload, headers)
        response.headers.setdefault("Cache-Control", "no-store")
        response.headers.setdefault("Pragma", "no-cache")
        return response


def stored_request(args: dict, url: str) -> OAuth2Request:
    """An OAuth2Request rebuilt from the /authorize parameters saved before login."""
    req = OAuth2Request("GET", url)
    req.payload = BasicOAuth2Payload(dict(args))
    return req


def build_server(app, services) -> GatewayAuthorizationServer:
    server = GatewayAuthorizationServer()
    server.init_app(app, query_client=services.clients.get, save_token=services.save_token)
    server.scopes_supported = list(SCOPES_SUPPORTED)
    server.register_token_generator("default", services.token_factory)
    server.register_client_auth_method(PrivateKeyJWT.CLIENT_AUTH_METHOD, PrivateKeyJWT())
    server.register_grant(AuthorizationCodeGrant, [OpenIDCode(require_nonce=False), PKCE(required=True)])
    server.register_grant(RefreshTokenGrant)
    server.register_grant(ClientCredentialsGrant)
    server.register_endpoint(IntrospectionEndpoint)
    server.register_endpoint(RevocationEndpoint)
    return server


__all__ = ["build_server", "stored_request", "flask_request"]
