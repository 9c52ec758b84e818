"""Rate limits on every credential-taking endpoint: Flask-Limiter, counters in the app's Redis.

* Login forms (local, staff, password change, admin login): per source IP (``login_rate_per_ip``,
  one budget shared by all login forms) and per account (``login_rate_per_account``).
* ``/token``, ``/introspect``, ``/revoke``: per client (``token_rate_per_client``) and per source IP
  (``token_rate_per_ip``).

A breach answers 429 with ``Retry-After``: a JSON error at protocol endpoints, a page elsewhere.
When Redis is unreachable the limiter *fails open* (``swallow_errors``): every endpoint it
protects that needs Redis already answers 503 (sessions, lockout, codes, revocation lists), and
the one that does not — ``client_credentials`` at ``/token`` — authenticates 256-bit random
secrets, which no rate of guessing threatens. See docs/security.md.
"""

from __future__ import annotations

import hashlib
import logging
import time
from urllib.parse import unquote, urlsplit

from flask import Flask, current_app, jsonify, render_template, request
from flask_babel import gettext as _
from flask_limiter import Limiter, RateLimitExceeded

from .ops import metrics

log = logging.getLogger("gateway.ratelimit")
LOGIN_ENDPOINTS = ("account.login_local", "account.login_staff", "password.change_password")
PROTOCOL_ENDPOINTS = ("oidc.token", "oidc.introspect", "oidc.revoke")
_ADMIN_CREDENTIAL_WORDS = ("login", "reauth", "totp", "mfa")


def storage_for(redis_url: str, socket_timeout: float) -> tuple[str, dict]:
    """The limits-library storage URI and options for one of our Redis URLs (same server, same timeouts)."""
    parts = urlsplit(redis_url)
    options: dict = {"socket_timeout": socket_timeout, "socket_connect_timeout": socket_timeout}
    hosts = parts.netloc.rsplit("@", 1)[-1]
    password = unquote(parts.password) if parts.password else None
    if parts.scheme == "redis+sentinel":
        # ours: redis+sentinel://[:pw@]h:p,h:p/service[/db]; the password is for the data nodes only
        path = [p for p in parts.path.split("/") if p]
        options["db"] = int(path[1]) if len(path) > 1 else 0
        options["sentinel_kwargs"] = {"socket_timeout": socket_timeout, "socket_connect_timeout": socket_timeout,
                                      "password": None}
        if password:
            options["password"] = password
        return f"redis+sentinel://{hosts}/{path[0] if path else ''}", options
    if parts.scheme == "redis+cluster":
        if password:
            options["password"] = password
        return f"redis+cluster://{hosts}", options
    return redis_url, options


def _hashed(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8", "replace")).hexdigest()[:32]


def _form(name: str) -> str:
    try:
        value = request.form.get(name, "")
    except Exception:  # oversized or malformed body: the view answers it; count it as anonymous
        return ""
    return value if isinstance(value, str) else ""


def ip_key() -> str:
    return current_app.extensions["gateway"].client_ip(request) or "unknown"


def account_key() -> str:
    """Which account a login form names (hashed: usernames stay out of Redis key names)."""
    kind = (request.endpoint or "").rsplit(".", 1)[-1]
    user = _form("username")[:256].strip().lower()
    directory = _form("directory")[:64]
    if "@" in user and not directory:
        user, _, directory = user.rpartition("@")
    return f"{kind}:{_hashed(directory + ':' + user)}"


def client_key() -> str:
    """The client a protocol request claims to be (authentication happens later, in authlib)."""
    client_id = ""
    try:
        auth = request.authorization
        if auth is not None and auth.type == "basic":
            client_id = auth.username or ""
    except Exception:
        client_id = ""
    client_id = client_id or _form("client_id")
    return "client:" + _hashed(client_id[:256] or "-")


def _credential_endpoints(app: Flask) -> tuple[list[str], list[str]]:
    admin = [ep for ep in app.view_functions
             if ep.split(".")[0] == "admin" and any(w in ep.rsplit(".", 1)[-1] for w in _ADMIN_CREDENTIAL_WORDS)]
    logins = [ep for ep in (*LOGIN_ENDPOINTS, *admin) if ep in app.view_functions]
    protocol = [ep for ep in PROTOCOL_ENDPOINTS if ep in app.view_functions]
    return logins, protocol


class _LimiterLog(logging.Filter):
    """Flask-Limiter logs a traceback per request while Redis is down: one counted JSON line instead."""

    def filter(self, record: logging.LogRecord) -> bool:
        metrics.REDIS_ERRORS.labels(component="ratelimit").inc()
        exc = record.exc_info[1] if record.exc_info else None
        log.warning("rate-limit storage unavailable, failing open: %s", type(exc).__name__ if exc else record.msg)
        return False


def init_rate_limits(app: Flask, services) -> Limiter | None:
    """Apply the limits to the credential-taking endpoints registered so far (call after blueprints)."""
    sec = services.settings.security
    uri, options = storage_for(services.settings.redis_url, services.settings.redis_socket_timeout)
    # headers_enabled=False: X-RateLimit-* on every response would cost one more Redis round trip
    # per request; the 429 handler computes Retry-After itself.
    limiter = Limiter(key_func=ip_key, storage_uri=uri, storage_options=options, strategy=sec.rate_limit_strategy,
                      headers_enabled=False, swallow_errors=True, key_prefix="gw:rl", enabled=sec.rate_limits_enabled)
    limiter.init_app(app)
    flog = logging.getLogger("flask-limiter")
    if not any(isinstance(f, _LimiterLog) for f in flog.filters):
        flog.addFilter(_LimiterLog())
    logins, protocol = _credential_endpoints(app)
    per_ip_login = limiter.shared_limit(sec.login_rate_per_ip, scope="login-ip", key_func=ip_key, methods=["POST"])
    per_account = limiter.shared_limit(sec.login_rate_per_account, scope="login-account", key_func=account_key,
                                       methods=["POST"])
    per_ip_protocol = limiter.shared_limit(sec.token_rate_per_ip, scope="protocol-ip", key_func=ip_key,
                                           methods=["POST"])
    per_client = limiter.shared_limit(sec.token_rate_per_client, scope="protocol-client", key_func=client_key,
                                      methods=["POST"])
    for ep in logins:
        app.view_functions[ep] = per_ip_login(per_account(app.view_functions[ep]))
    for ep in protocol:
        app.view_functions[ep] = per_ip_protocol(per_client(app.view_functions[ep]))
    app.register_error_handler(RateLimitExceeded, _too_many(limiter))
    app.extensions["gateway_limiter"] = limiter
    return limiter


def _too_many(limiter: Limiter):
    def handler(error: RateLimitExceeded):
        from .errors import wants_json

        scope = getattr(getattr(error, "limit", None), "scope", "") or "other"
        metrics.RATE_LIMITED.labels(scope=str(scope)[:32]).inc()
        retry = 60
        try:
            current = limiter.current_limit
            if current is not None:
                retry = max(1, int(current.reset_at - time.time()))
        except Exception:  # storage went away between the check and now
            pass
        log.info("rate limit exceeded: %s on %s", scope, request.endpoint)
        if wants_json():
            response = jsonify(error="too_many_requests",
                               error_description=f"rate limit exceeded, retry after {retry} seconds")
            response.status_code = 429
        else:
            body = render_template("error.html", title=_("请求过于频繁"),
                                   detail=_("请稍后再试（约 %(seconds)s 秒后）。", seconds=retry))
            response = current_app.response_class(body, status=429, mimetype="text/html")
        response.headers["Retry-After"] = str(retry)
        response.headers["Cache-Control"] = "no-store"
        return response

    return handler
