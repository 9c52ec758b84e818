"""Error handling: protocol errors as JSON at protocol endpoints, friendly pages elsewhere.

Never a stack trace to a user; the traceback goes to the log with the request id. Redis being
down is a 503 with a clear message, not a 500.
"""

from __future__ import annotations

import logging

from flask import g, jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from .oidc.keys import NoSigningKey
from .sessions.redis import REDIS_DOWN_ERRORS

log = logging.getLogger("gateway")
JSON_PATHS = ("/token", "/introspect", "/revoke", "/userinfo", "/jwks", "/.well-known", "/admin/api", "/healthz",
              "/readyz", "/metrics")


def wants_json() -> bool:
    return request.path.startswith(JSON_PATHS) or request.accept_mimetypes.best == "application/json"


def _unavailable(what: str):
    g.unavailable = what  # counted by gateway/ops
    if wants_json():
        response = jsonify(error="temporarily_unavailable", error_description=f"{what} is unavailable, retry later")
    else:
        response = render_template("error.html", title=_("服务暂时不可用"),
                                   detail=_("系统正在恢复，请稍后重试。")), 503
        return response[0], 503, {"Retry-After": "5", "Cache-Control": "no-store"}
    response.status_code = 503
    response.headers["Retry-After"] = "5"
    response.headers["Cache-Control"] = "no-store"
    return response


def register_error_handlers(app) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return render_template("error.html", title=_("页面已过期"),
                               detail=_("表单已失效，请返回后刷新页面重试。")), 400

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if wants_json():
            response = jsonify(error="invalid_request" if error.code < 500 else "server_error",
                               error_description=error.name)
            response.status_code = error.code
            return response
        return render_template("error.html", title=f"{error.code} {error.name}", detail=""), error.code

    @app.errorhandler(Exception)
    def unexpected(error: Exception):
        original = getattr(error, "original_exception", error)
        if isinstance(original, REDIS_DOWN_ERRORS):
            log.warning("redis unavailable: %s (request %s)", type(original).__name__, getattr(g, "request_id", "-"))
            return _unavailable("session store")
        if isinstance(original, NoSigningKey):
            log.error("no signing key: %s", original)
            return _unavailable("signing key")
        if isinstance(original, HTTPException):
            return http_error(original)
        log.exception("unhandled error (request %s)", getattr(g, "request_id", "-"), exc_info=original)
        if wants_json():
            response = jsonify(error="server_error")
            response.status_code = 500
            return response
        return render_template("error.html", title=_("系统错误"),
                               detail=_("请稍后重试。请求编号：") + str(getattr(g, "request_id", ""))), 500

    app.register_error_handler(InternalServerError, unexpected)
