"""Blueprint ``oidc``: the protocol endpoints. Thin: parse, call authlib or a service, respond."""

from __future__ import annotations

from flask import Blueprint, Response, current_app

from ..extensions import csrf
from . import authorize as authz
from . import logout as rp_logout
from .userinfo import userinfo

bp = Blueprint("oidc", __name__)


def _server():
    return current_app.extensions["gateway_oauth"]


@bp.get("/.well-known/openid-configuration")
def discovery():
    return Response(current_app.extensions["gateway_discovery"], mimetype="application/json",
                    headers={"Cache-Control": "public, max-age=3600", "Access-Control-Allow-Origin": "*"})


@bp.get("/jwks")
def jwks():
    body = current_app.extensions["gateway"].keys.jwks_json()
    return Response(body, mimetype="application/jwk-set+json",
                    headers={"Cache-Control": "public, max-age=300", "Access-Control-Allow-Origin": "*"})


@bp.route("/authorize", methods=["GET", "POST"])
@csrf.exempt
def authorize():
    return authz.authorize()


@bp.get("/authorize/continue")
def authorize_continue():
    return authz.resume()


@bp.post("/token")
@csrf.exempt
def token():
    return _server().create_token_response()


@bp.route("/userinfo", methods=["GET", "POST"])
@csrf.exempt
def userinfo_endpoint():
    return userinfo()


@bp.post("/introspect")
@csrf.exempt
def introspect():
    return _server().create_endpoint_response("introspection")


@bp.post("/revoke")
@csrf.exempt
def revoke():
    return _server().create_endpoint_response("revocation")


@bp.route("/logout", methods=["GET", "POST"])
@csrf.exempt  # the RP's request carries no CSRF token; a confirmation form protects the user instead
def logout():
    return rp_logout.end_session()


@bp.post("/logout/confirm")
def logout_confirm():
    return rp_logout.confirm()
