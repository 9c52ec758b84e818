"""Flask extension: login, logout, back-channel logout and step-up for a department portal.

>>> sso = SSO(app)                      # reads SSO_* keys from app.config
>>> @app.route("/")
... @sso.login_required
... def home():
...     return f"你好 {current_sso_user['name']}"
"""

from __future__ import annotations

import functools
import hmac
import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from flask import (
    Blueprint,
    Flask,
    Response,
    current_app,
    g,
    jsonify,
    redirect,
    request,
    session,
    url_for,
)
from werkzeug.local import LocalProxy

from ._web import error_page, error_status, safe_next
from .acr import acr_satisfies
from .client import OIDCClient
from .config import ClientConfig
from .errors import (
    ConfigurationError,
    InvalidLogoutToken,
    SSOError,
    StateMismatch,
    TokenRequestError,
)
from .logout import LogoutTokenValidator
from .refresh import TokenManager
from .session_store import MemorySessionStore, SessionStore
from .tokens import AuthRequest, TokenSet

logger = logging.getLogger("sso_client")

F = TypeVar("F", bound=Callable[..., Any])

EXTENSION_KEY = "sso_client"
SESSION_KEY = "_sso"
PENDING_KEY = "_sso_pending"
MAX_PENDING = 5
PENDING_MAX_AGE = 600  # seconds between /sso/login and the callback

#: ClientConfig field -> app.config key
CONFIG_KEYS = {
    "issuer": "SSO_ISSUER",
    "client_id": "SSO_CLIENT_ID",
    "client_secret": "SSO_CLIENT_SECRET",
    "redirect_uri": "SSO_REDIRECT_URI",
    "scope": "SSO_SCOPE",
    "post_logout_redirect_uri": "SSO_POST_LOGOUT_REDIRECT_URI",
    "token_endpoint_auth_method": "SSO_TOKEN_ENDPOINT_AUTH_METHOD",
    "leeway": "SSO_LEEWAY",
    "http_timeout": "SSO_HTTP_TIMEOUT",
    "acr_ranks": "SSO_ACR_RANKS",
}

current_sso_user: Any = LocalProxy(lambda: g.get("sso_user"))
"""The logged-in user's id_token claims (a dict), or None — usable in views and templates."""


@dataclass
class _State:
    """Per-app state, kept in ``app.extensions["sso_client"]``."""

    config: ClientConfig
    client: OIDCClient
    store: SessionStore
    tokens: TokenManager
    logout: LogoutTokenValidator
    hooks: SSO


class SSO:
    """The Flask extension. ``SSO(app)`` or ``sso = SSO(); sso.init_app(app)``.

    Configuration comes from ``app.config`` (``SSO_ISSUER``, ``SSO_CLIENT_ID``,
    ``SSO_CLIENT_SECRET``, ``SSO_REDIRECT_URI`` — derived from the callback route
    when absent —, ``SSO_SCOPE``, ``SSO_POST_LOGOUT_REDIRECT_URI``,
    ``SSO_SESSION_STORE``, ``SSO_URL_PREFIX``); keyword arguments (``issuer=...``,
    ``session_store=...``, ``client=...``) override it.
    """

    def __init__(self, app: Flask | None = None, **config: Any) -> None:
        self._overrides = config
        self._on_login: list[Callable[[dict[str, Any], TokenSet], None]] = []
        self._error_handler: Callable[[SSOError], Any] | None = None
        if app is not None:
            self.init_app(app)

    # -- setup --------------------------------------------------------------------

    def init_app(self, app: Flask) -> None:
        """Configure the extension for ``app`` and mount the ``/sso/*`` routes."""
        opts = self._overrides
        values: dict[str, Any] = {}
        for field_name, key in CONFIG_KEYS.items():
            value = opts.get(field_name, app.config.get(key))
            if value is not None:
                values[field_name] = value
        client: OIDCClient | None = opts.get("client")
        if client is not None:
            config = client.config
        else:
            if "issuer" not in values or "client_id" not in values:
                raise ConfigurationError("SSO_ISSUER and SSO_CLIENT_ID must be configured")
            config = ClientConfig(**values)
            client = OIDCClient(config)
        store: SessionStore = opts.get("session_store") or app.config.get("SSO_SESSION_STORE") or MemorySessionStore()
        if isinstance(store, MemorySessionStore) and not app.testing and not app.debug:
            logger.warning("sso_client uses MemorySessionStore: back-channel logout only works in a single process")
        app.extensions[EXTENSION_KEY] = _State(
            config=config,
            client=client,
            store=store,
            tokens=TokenManager(client, store),
            logout=LogoutTokenValidator(config.issuer, config.client_id, client.discovery, store, leeway=config.leeway),
            hooks=self,
        )
        prefix = opts.get("url_prefix", app.config.get("SSO_URL_PREFIX", "/sso"))
        app.register_blueprint(_make_blueprint(), url_prefix=prefix)
        app.before_request(_load_user)
        csrf = app.extensions.get("csrf")
        if csrf is not None:  # Flask-WTF: the gateway cannot send a CSRF token
            csrf.exempt(f"{__name__}.backchannel_logout")

    def on_login(self, func: Callable[[dict[str, Any], TokenSet], None]) -> Callable[[dict[str, Any], TokenSet], None]:
        """Register ``func(claims, token_set)`` to run after each successful login
        (map the gateway user to a local account here). Raising an SSOError refuses the login."""
        self._on_login.append(func)
        return func

    def error_handler(self, func: Callable[[SSOError], Any]) -> Callable[[SSOError], Any]:
        """Register ``func(exc) -> response`` to render failed logins in the portal's own style."""
        self._error_handler = func
        return func

    # -- decorators ---------------------------------------------------------------

    def login_required(self, view: F) -> F:
        """Redirect anonymous users to ``/sso/login`` and back."""

        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if g.get("sso_user") is None:
                return redirect(url_for("sso.login", next=_current_path()))
            return view(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    def require_acr(self, acr: str) -> Callable[[F], F]:
        """Require a login at assurance level ``acr`` or higher (step-up when lower).

        ``urn:sd:tysfrz:loa:N`` values rank by N; other values must match exactly.
        """

        def decorator(view: F) -> F:
            @functools.wraps(view)
            def wrapper(*args: Any, **kwargs: Any) -> Any:
                user = g.get("sso_user")
                ranks = _state().config.acr_ranks
                if user is None or not acr_satisfies(user.get("acr"), acr, ranks):
                    return redirect(url_for("sso.login", next=_current_path(), acr_values=acr))
                return view(*args, **kwargs)

            return wrapper  # type: ignore[return-value]

        return decorator

    # -- accessors ----------------------------------------------------------------

    @property
    def user(self) -> dict[str, Any] | None:
        """The current user's claims, or None."""
        user: dict[str, Any] | None = g.get("sso_user")
        return user

    def get_access_token(self) -> str | None:
        """A valid access token for the current user, refreshed if needed.

        Returns None when nobody is logged in, or when the gateway refused the
        refresh (the local session is then ended: the user must log in again).
        """
        data = session.get(SESSION_KEY)
        if not data or g.get("sso_user") is None:
            return None
        st = _state()
        try:
            tokens = st.tokens.get_fresh(data["lid"])
        except TokenRequestError as exc:
            if exc.error != "invalid_grant":
                raise
            logger.info("refresh refused (%s): ending local session", exc.error)
            st.store.unregister(data["lid"])
            session.pop(SESSION_KEY, None)
            g.sso_user = None
            return None
        return tokens.access_token if tokens else None


def _state() -> _State:
    state: _State = current_app.extensions[EXTENSION_KEY]
    return state


def _current_path() -> str:
    path = request.full_path
    return path[:-1] if path.endswith("?") else path


def _load_user() -> None:
    """Before each request: expose the claims, unless the session was ended elsewhere."""
    g.sso_user = None
    data = session.get(SESSION_KEY)
    if not data:
        return
    try:
        revoked = _state().store.is_revoked(data["lid"])
    except Exception:  # store unreachable: fail closed for this request, keep the cookie
        logger.exception("session store unavailable; treating request as anonymous")
        return
    if revoked:
        logger.info("local session ended by logout elsewhere")
        session.pop(SESSION_KEY, None)
        return
    g.sso_user = data["claims"]


def _fail(exc: SSOError) -> Any:
    logger.info("login failed: %s", exc)
    handler = _state().hooks._error_handler
    if handler is not None:
        return handler(exc)
    return Response(error_page(exc), status=error_status(exc), mimetype="text/html")


def _make_blueprint() -> Blueprint:
    bp = Blueprint("sso", __name__)
    bp.add_url_rule("/login", "login", login)
    bp.add_url_rule("/callback", "callback", callback)
    bp.add_url_rule("/logout", "logout", logout, methods=["GET", "POST"])
    bp.add_url_rule("/backchannel-logout", "backchannel_logout", backchannel_logout, methods=["POST"])
    return bp


def login() -> Any:
    """Start a login: redirect to the gateway. Query: ``next``, ``acr_values``, ``login_hint``."""
    st = _state()
    acr = request.args.get("acr_values") or None
    try:
        req = st.client.authorization_url(
            acr_values=acr,
            require_acr=acr is not None,
            login_hint=request.args.get("login_hint") or None,
            redirect_uri=st.config.redirect_uri or url_for("sso.callback", _external=True),
        )
    except SSOError as exc:
        return _fail(exc)
    # The request (with the PKCE verifier) stays server side; the cookie only remembers
    # which states this browser started, which binds the callback to this browser.
    st.store.put(f"auth:{req.state}", {**req.to_dict(), "next": safe_next(request.args.get("next"))}, PENDING_MAX_AGE)
    states = list(session.get(PENDING_KEY) or [])[-(MAX_PENDING - 1) :]  # several tabs may log in at once
    session[PENDING_KEY] = [*states, req.state]
    return redirect(req.url)


def callback() -> Any:
    """The redirect URI: finish the login and start the local session."""
    st = _state()
    states = list(session.get(PENDING_KEY) or [])
    given = request.args.get("state", "")
    match = next((s for s in states if hmac.compare_digest(s.encode(), given.encode())), None)
    try:
        if match is None:
            raise StateMismatch("no login with this state was started in this browser")
        states.remove(match)
        session[PENDING_KEY] = states
        data = st.store.take(f"auth:{match}")  # single use
        if data is None:
            raise StateMismatch("the login expired or was already completed; please start again")
        next_url = data.pop("next", "/")
        expected = AuthRequest.from_dict(data)
        if time.time() - expected.created_at > PENDING_MAX_AGE:
            raise StateMismatch("the login took too long; please start again")
        token_set = st.client.handle_callback(request.args.to_dict(), expected)
        claims = token_set.claims
        for hook in st.hooks._on_login:
            hook(claims, token_set)
    except SSOError as exc:
        return _fail(exc)
    lid = secrets.token_urlsafe(32)
    st.store.register(lid, claims["sub"], claims.get("sid"))
    st.tokens.save(lid, token_set)
    old = session.pop(SESSION_KEY, None)
    if old:
        st.store.unregister(old["lid"])
    session[SESSION_KEY] = {"lid": lid, "claims": claims}
    return redirect(safe_next(next_url))


def logout() -> Any:
    """RP-initiated logout: end the local session, then log out at the gateway."""
    st = _state()
    data = session.pop(SESSION_KEY, None)
    session.pop(PENDING_KEY, None)
    id_token = None
    if data:
        tokens = st.tokens.load(data["lid"])
        id_token = tokens.id_token if tokens else None
        st.store.unregister(data["lid"])
    try:
        return redirect(st.client.end_session_url(id_token, st.config.post_logout_redirect_uri))
    except SSOError as exc:
        return _fail(exc)


def backchannel_logout() -> Any:
    """Receive the gateway's logout token (form field ``logout_token``)."""
    st = _state()
    token = request.form.get("logout_token")
    try:
        if not token:
            raise InvalidLogoutToken("no logout_token")
        ended = st.logout.apply(token)
    except InvalidLogoutToken as exc:
        logger.warning("back-channel logout refused: %s", exc)
        resp = jsonify({"error": "invalid_request"})
        resp.status_code = 400
    else:
        logger.info("back-channel logout ended %d local session(s)", ended)
        resp = Response(status=200)
    resp.headers["Cache-Control"] = "no-store"
    return resp
