"""``/userinfo`` (OIDC Core §5.3): bearer token in the Authorization header only."""

from __future__ import annotations

from flask import current_app, jsonify, request

from .principal import GrantUser
from .tokens import InvalidAccessToken


def _bearer_error(status: int, error: str, description: str):
    response = jsonify(error=error, error_description=description)
    response.status_code = status
    challenge = f'Bearer realm="userinfo", error="{error}", error_description="{description}"'
    response.headers["WWW-Authenticate"] = challenge
    response.headers["Cache-Control"] = "no-store"
    return response


def userinfo():
    svc = current_app.extensions["gateway"]
    if "access_token" in request.args or (request.method == "POST" and "access_token" in request.form):
        # RFC 9700 §4.3.2 / RFC 6750 §2.3: tokens in URIs leak; we accept only the header.
        return _bearer_error(400, "invalid_request", "send the access token in the Authorization header")
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        response = _bearer_error(401, "invalid_token", "missing bearer token")
        response.headers["WWW-Authenticate"] = 'Bearer realm="userinfo"'
        return response
    try:
        claims, user_id = svc.access_tokens.verify_with_user(token.strip())
    except InvalidAccessToken as exc:
        return _bearer_error(401, "invalid_token", str(exc))
    if "openid" not in claims.get("scope", "").split() or claims.get("sub") == claims.get("client_id"):
        return _bearer_error(403, "insufficient_scope", "the token was not issued for openid")
    client = svc.clients.get(claims["client_id"])
    if client is None:
        return _bearer_error(401, "invalid_token", "client disabled")
    if user_id is None:
        return _bearer_error(401, "invalid_token", "unknown subject")
    user = GrantUser(user_id=user_id[0], identity_id=user_id[1], sid=claims.get("sid"))
    body = {"sub": claims["sub"], **svc.released_claims(user, client, claims["scope"], "userinfo")}
    response = jsonify(body)
    response.headers["Cache-Control"] = "no-store"
    return response
