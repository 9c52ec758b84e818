"""Blueprint ``admin_api`` (/admin/api/v1): bearer auth, problem+json errors, JSON helpers.

Authentication: an access token of this gateway from the client_credentials grant (``sub`` is
the client itself), carrying exactly one admin scope — admin:system, admin:security or
admin:audit — which is the caller's role. Admin scopes are granted to a client only by the
operator (``flask --app wsgi clients create --grant client_credentials --scope admin:audit``).
Actions that need re-authentication in the console (secret and key rotation) need a token
issued within ``admin.reauth_window`` seconds here.
"""

from __future__ import annotations

import json

from flask import Blueprint, Response, current_app, g, request
from werkzeug.exceptions import HTTPException

from ..oidc.tokens import InvalidAccessToken
from .problems import AdminError
from .roles import SCOPE_ROLE, Actor

PREFIX = "/admin/api/v1"
bp = Blueprint("admin_api", __name__, url_prefix=PREFIX)
PUBLIC = {"admin_api.openapi", "admin_api.not_found"}


def svc():
    return current_app.extensions["gateway"]


def problem(status: int, title: str, detail: str = "", errors: list[str] | None = None,
            headers: dict | None = None) -> Response:
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail or title}
    if errors:
        body["errors"] = errors
    response = Response(json.dumps(body, ensure_ascii=False), status, mimetype="application/problem+json")
    response.headers["Cache-Control"] = "no-store"
    for k, v in (headers or {}).items():
        response.headers[k] = v
    return response


def ok(data, status: int = 200, headers: dict | None = None) -> Response:
    response = Response(json.dumps(data, ensure_ascii=False, default=str), status, mimetype="application/json")
    response.headers["Cache-Control"] = "no-store"
    for k, v in (headers or {}).items():
        response.headers[k] = v
    return response


def body(required: bool = True) -> dict:
    data = request.get_json(silent=True)
    if data is None:
        if not required and not request.get_data():
            return {}
        raise AdminError("the body must be a JSON object (Content-Type: application/json)")
    if not isinstance(data, dict):
        raise AdminError("the body must be a JSON object")
    return data


def _unauthorized(detail: str) -> Response:
    return problem(401, "Unauthorized", detail,
                   headers={"WWW-Authenticate": f'Bearer realm="admin", error="invalid_token", '
                                                f'error_description="{detail}"'})


@bp.before_request
def authenticate():
    if request.endpoint in PUBLIC:
        return None
    s = svc()
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        return problem(401, "Unauthorized", "a bearer access token is required",
                       headers={"WWW-Authenticate": 'Bearer realm="admin"'})
    try:
        claims = s.access_tokens.verify(header[7:].strip())
    except InvalidAccessToken as exc:
        return _unauthorized(str(exc))
    client_id = claims.get("client_id")
    if claims.get("sub") != client_id or "uctx" in claims:
        return problem(403, "Forbidden", "only client_credentials tokens of admin clients are accepted")
    if s.clients.get(client_id) is None:
        return _unauthorized("client disabled or unknown")
    roles = {SCOPE_ROLE[x] for x in str(claims.get("scope", "")).split() if x in SCOPE_ROLE}
    if len(roles) != 1:
        s.audit.record("admin.denied", result="failure", actor=f"api:{client_id}", ip=s.client_ip(request),
                       reason="token must carry exactly one admin scope", path=request.path)
        return problem(403, "Forbidden", "the token must carry exactly one admin scope "
                                         "(admin:system, admin:security or admin:audit)")
    g.actor = Actor(id=client_id, role=roles.pop(), label=f"api:{client_id}", ip=s.client_ip(request),
                    fresh=s.clock() - int(claims.get("iat", 0)) <= s.settings.admin.reauth_window)
    return None


@bp.errorhandler(AdminError)
def admin_error(error: AdminError):
    headers = {"WWW-Authenticate": 'Bearer realm="admin", error="insufficient_user_authentication"'} \
        if error.status == 401 else None
    return problem(error.status, error.title, error.detail, error.errors, headers)


@bp.errorhandler(HTTPException)
def http_error(error: HTTPException):
    return problem(error.code or 500, error.name, error.description or "")


@bp.route("/<path:rest>", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
def not_found(rest):
    """Unknown paths and wrong methods under the API answer in problem+json too."""
    adapter = current_app.url_map.bind("localhost")
    allowed = []
    for method in ("GET", "POST", "PUT", "PATCH", "DELETE"):
        try:
            endpoint, _ = adapter.match(request.path, method=method)
        except HTTPException:
            continue
        if endpoint != "admin_api.not_found":
            allowed.append(method)
    if allowed:
        return problem(405, "Method Not Allowed", f"allowed: {', '.join(allowed)}", headers={"Allow": ", ".join(allowed)})
    return problem(404, "Not Found", "no such admin API resource")
