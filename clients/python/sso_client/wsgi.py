"""WSGI middleware bringing gateway login to any WSGI framework (Django, Bottle, Pyramid …).

>>> app = SSOMiddleware(app, client, RedisSessionStore(redis),
...                     protect=lambda path: path.startswith("/office/"))

It serves ``{prefix}/login``, ``{prefix}/callback``, ``{prefix}/logout`` and
``{prefix}/backchannel-logout`` itself, keeps its own opaque session cookie (the
data lives in the :class:`~sso_client.session_store.SessionStore`), and puts the
user's claims into ``environ["sso.user"]`` (None when anonymous).
"""

from __future__ import annotations

import hmac
import logging
import secrets
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import urlencode

from werkzeug.wrappers import Request, Response

from ._web import error_page, error_status, safe_next
from .client import OIDCClient
from .errors import InvalidLogoutToken, SSOError, StateMismatch, TokenRequestError
from .logout import LogoutTokenValidator
from .refresh import TokenManager
from .session_store import SessionStore
from .tokens import AuthRequest

logger = logging.getLogger("sso_client")

PENDING_TTL = 600


class SSOMiddleware:
    """Wraps a WSGI application with gateway login.

    :param app: the wrapped WSGI application.
    :param client: the configured :class:`OIDCClient`.
    :param store: the session store (use RedisSessionStore with several workers).
    :param protect: ``protect(path) -> bool``; anonymous requests to such paths are sent to login.
    :param prefix: where the four SSO paths are mounted.
    :param cookie_name: name of the session cookie.
    :param secure_cookie: set the cookie's ``Secure`` flag (turn off only for plain-http development).
    :param session_ttl: lifetime of the local session, seconds.
    """

    def __init__(
        self,
        app: Callable[..., Iterable[bytes]],
        client: OIDCClient,
        store: SessionStore,
        *,
        protect: Callable[[str], bool] = lambda path: False,
        prefix: str = "/sso",
        cookie_name: str = "sso_session",
        secure_cookie: bool = True,
        session_ttl: int = 12 * 3600,
    ) -> None:
        self.app = app
        self.client = client
        self.store = store
        self.protect = protect
        self.prefix = prefix.rstrip("/")
        self.cookie_name = cookie_name
        self.secure_cookie = secure_cookie
        self.session_ttl = session_ttl
        self.tokens = TokenManager(client, store)
        self.logout_validator = LogoutTokenValidator(
            client.config.issuer, client.config.client_id, client.discovery, store, leeway=client.config.leeway
        )

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        request = Request(environ)
        path = request.path
        routes = {
            f"{self.prefix}/login": self._login,
            f"{self.prefix}/callback": self._callback,
            f"{self.prefix}/logout": self._logout,
            f"{self.prefix}/backchannel-logout": self._backchannel,
        }
        handler = routes.get(path)
        if handler is not None:
            return handler(request)(environ, start_response)
        user = self._user(request)
        environ["sso.user"] = user
        if user is None and self.protect(path):
            target = request.full_path.rstrip("?")
            resp = Response(status=302)
            resp.headers["Location"] = self._url(request, "/login") + "?" + urlencode({"next": target})
            return resp(environ, start_response)
        return self.app(environ, start_response)

    def access_token(self, environ: dict[str, Any]) -> str | None:
        """A fresh access token for the request's user (refreshed via TokenManager), or None.

        None also when the gateway refused the refresh (session ended there); the local
        session is then ended too.
        """
        lid = Request(environ).cookies.get(self.cookie_name)
        if not lid or self.store.is_revoked(lid):
            return None
        try:
            tokens = self.tokens.get_fresh(lid)
        except TokenRequestError as exc:
            if exc.error != "invalid_grant":
                raise
            logger.info("refresh refused (%s): ending local session", exc.error)
            self.store.unregister(lid)  # the gateway ended the session: log in again
            return None
        return tokens.access_token if tokens else None

    # -- internals ----------------------------------------------------------------

    def _url(self, request: Request, suffix: str) -> str:
        return request.script_root + self.prefix + suffix

    def _user(self, request: Request) -> dict[str, Any] | None:
        lid = request.cookies.get(self.cookie_name)
        if not lid:
            return None
        if self.store.is_revoked(lid):
            return None
        tokens = self.tokens.load(lid)
        return tokens.claims if tokens else None

    def _login(self, request: Request) -> Response:
        redirect_uri = self.client.config.redirect_uri or request.host_url.rstrip("/") + self._url(request, "/callback")
        acr = request.args.get("acr_values") or None
        try:
            req = self.client.authorization_url(acr_values=acr, require_acr=acr is not None, redirect_uri=redirect_uri)
        except SSOError as exc:
            return self._fail(exc)
        self.store.put(f"auth:{req.state}", {**req.to_dict(), "next": safe_next(request.args.get("next"))}, PENDING_TTL)
        resp = Response(status=302)
        resp.headers["Location"] = req.url
        # Binds the login to this browser: a callback URL planted by an attacker fails.
        resp.set_cookie(f"{self.cookie_name}_state", req.state, max_age=PENDING_TTL, httponly=True,
                        secure=self.secure_cookie, samesite="Lax", path=self._url(request, "/callback"))
        return resp

    def _callback(self, request: Request) -> Response:
        given = request.args.get("state", "")
        bound = request.cookies.get(f"{self.cookie_name}_state", "")
        try:
            if not given or not hmac.compare_digest(given.encode(), bound.encode()):
                raise StateMismatch("state does not match this browser's login")
            data = self.store.take(f"auth:{given}")
            if data is None:
                raise StateMismatch("no pending login with this state")
            next_url = data.pop("next", "/")
            token_set = self.client.handle_callback(request.args.to_dict(), AuthRequest.from_dict(data))
        except SSOError as exc:
            return self._fail(exc)
        old = request.cookies.get(self.cookie_name)
        if old:
            self.store.unregister(old)
        lid = secrets.token_urlsafe(32)
        self.store.register(lid, token_set.claims["sub"], token_set.claims.get("sid"))
        self.tokens.save(lid, token_set)
        resp = Response(status=302)
        resp.headers["Location"] = safe_next(next_url)
        resp.set_cookie(self.cookie_name, lid, max_age=self.session_ttl, httponly=True,
                        secure=self.secure_cookie, samesite="Lax", path="/")
        resp.delete_cookie(f"{self.cookie_name}_state", path=self._url(request, "/callback"))
        return resp

    def _logout(self, request: Request) -> Response:
        lid = request.cookies.get(self.cookie_name)
        id_token = None
        if lid:
            tokens = self.tokens.load(lid)
            id_token = tokens.id_token if tokens else None
            self.store.unregister(lid)
        try:
            target = self.client.end_session_url(id_token)
        except SSOError as exc:
            return self._fail(exc)
        resp = Response(status=302)
        resp.headers["Location"] = target
        resp.delete_cookie(self.cookie_name, path="/")
        return resp

    def _backchannel(self, request: Request) -> Response:
        if request.method != "POST":
            return Response(status=405, headers={"Allow": "POST"})
        token = request.form.get("logout_token")
        try:
            if not token:
                raise InvalidLogoutToken("no logout_token")
            self.logout_validator.apply(token)
            resp = Response(status=200)
        except InvalidLogoutToken as exc:
            logger.warning("back-channel logout refused: %s", exc)
            resp = Response('{"error":"invalid_request"}', status=400, mimetype="application/json")
        resp.headers["Cache-Control"] = "no-store"
        return resp

    def _fail(self, exc: SSOError) -> Response:
        logger.info("login failed: %s", exc)
        return Response(error_page(exc), status=error_status(exc), mimetype="text/html")
