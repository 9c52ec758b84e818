"""Unified Identity Gateway (统一身份认证网关): an OpenID Connect provider for a city government."""

from __future__ import annotations

import logging
import secrets
import time
from typing import Callable

from flask import Flask, g, request
from flask_babel import get_locale

from . import security_headers
from .account.users import load_user
from .errors import register_error_handlers
from .extensions import babel, csrf, login_manager
from .logging_setup import configure_logging
from .oidc.discovery import metadata_json
from .oidc.server import build_server
from .services import Services, build_services
from .sessions.interface import RedisSessionInterface
from .settings import Settings


def create_app(settings: Settings | None = None, *, clock: Callable[[], float] = time.time) -> Flask:
    """Build a gateway app. Nothing here touches Redis, SQL or the network."""
    settings = settings or Settings.load()
    configure_logging(settings.log_json)
    app = Flask(__name__, instance_relative_config=False)
    app.config.update(
        SECRET_KEY=settings.secret_key,
        TESTING=settings.testing,
        MAX_CONTENT_LENGTH=64 * 1024,  # no protocol request needs more; bigger bodies get 413
        WTF_CSRF_TIME_LIMIT=None,  # bound to the session instead, which has its own timeouts
        WTF_CSRF_SSL_STRICT=settings.secure_cookies,
        BABEL_DEFAULT_LOCALE=settings.default_locale,
        BABEL_TRANSLATION_DIRECTORIES="i18n",
        SESSION_COOKIE_NAME=settings.session.cookie_name,
        JSON_AS_ASCII=False,
    )
    app.json.ensure_ascii = False
    services: Services = build_services(settings, clock=clock)
    app.extensions["gateway"] = services
    app.extensions["gateway_discovery"] = metadata_json(settings.issuer)
    app.session_interface = RedisSessionInterface(
        services.redis, settings.session.cookie_name, settings.session.idle_timeout,
        settings.session.absolute_timeout, settings.secure_cookies, clock, on_save=services.sso.index,
        ended=services.session_ended)
    app.extensions["gateway_oauth"] = build_server(app, services)

    csrf.init_app(app)
    babel.init_app(app, locale_selector=_select_locale)
    app.jinja_env.globals["get_locale"] = get_locale
    login_manager.init_app(app)
    login_manager.user_loader(load_user)
    # Flask-Login's remember-me refresh reads the session after every request; we use no
    # remember cookies, and endpoints that never need the session (discovery, JWKS, token) must
    # not touch Redis for it.
    app.after_request_funcs[None].remove(login_manager._update_remember_cookie)
    login_manager.login_view = "account.login"
    _register_connectors(app, services)
    _register_blueprints(app)
    register_error_handlers(app)
    _register_request_hooks(app, settings)
    _register_ops(app, services)
    from .cli import register_cli

    register_cli(app)
    return app


def _select_locale() -> str:
    chosen = request.cookies.get("gw_lang")
    if chosen in ("zh_CN", "en"):
        return chosen
    best = request.accept_languages.best_match(["zh-CN", "zh", "en"])
    return "en" if best == "en" else "zh_CN"


def _register_blueprints(app: Flask) -> None:
    from .account.password_change import bp as password_bp
    from .account.sessions_view import bp as sessions_bp
    from .account.views import bp as account_bp
    from .admin import register as register_admin
    from .federation.views import bp as federation_bp
    from .oidc.views import bp as oidc_bp
    from .privacy.views import bp as privacy_bp

    for bp in (oidc_bp, account_bp, sessions_bp, password_bp, federation_bp, privacy_bp):
        app.register_blueprint(bp)
    register_admin(app)
    app.jinja_env.filters["datetime"] = _format_time


def _format_time(ts: int) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(ts))


def _register_connectors(app: Flask, services: Services) -> None:
    settings = services.settings
    if settings.ldap:
        from .federation.ldap import LdapConnector

        services.connectors["ldap"] = LdapConnector(settings.ldap, clock=services.clock)
    if settings.provincial.enabled:
        from .federation.provincial import ProvincialConnector

        services.connectors["provincial"] = ProvincialConnector(settings, services)


def _register_ops(app: Flask, services: Services) -> None:
    """Health/readiness/metrics, then rate limits on the credential endpoints registered above."""
    from .ops import init_ops
    from .ratelimit import init_rate_limits
    from .request_guard import init_request_guard

    init_ops(app, services)
    init_request_guard(app)
    init_rate_limits(app, services)


def _register_request_hooks(app: Flask, settings: Settings) -> None:
    https = settings.secure_cookies

    @app.before_request
    def assign_request_id():
        incoming = request.headers.get("X-Request-Id", "")
        g.request_id = incoming if incoming.isalnum() and len(incoming) <= 64 else secrets.token_hex(8)

    @app.after_request
    def headers(response):
        response.headers["X-Request-Id"] = g.get("request_id", "")
        return security_headers.apply(response, https)


logging.getLogger("gateway").addHandler(logging.NullHandler())
