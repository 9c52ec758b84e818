"""Server-side Flask sessions in Redis: the cookie carries only a random id.

* The id is ``secrets.token_urlsafe(32)``; ``regenerate()`` issues a new one at login (session
  fixation) and moves the data.
* Sliding idle TTL on the Redis key; an absolute deadline stored in the data.
* Loaded lazily: endpoints that never touch the session (discovery, JWKS, token) never touch
  Redis for it, so they keep working while Redis is down.
* JSON, not pickle: readable in ``redis-cli`` and no code execution from a tampered store.
"""

from __future__ import annotations

import json
import secrets
import time
from typing import Any, Callable

import redis
from flask.sessions import SessionInterface, SessionMixin

from .redis import REDIS_DOWN_ERRORS

SESSION_PREFIX = "gw:sess:"


def session_key(sid: str) -> str:
    return f"{SESSION_PREFIX}{{{sid}}}"


class RedisSession(SessionMixin):
    def __init__(self, sid: str | None, loader: Callable[[str], dict | None]):
        self.sid = sid
        self._loader = loader
        self._data: dict | None = None if sid else {}
        self.modified = False
        self.accessed = False
        self.new = sid is None
        self.old_sid: str | None = None  # set by regenerate(): the key to delete on save
        self.destroyed = False
        self.broken = False  # the store failed: the error page must still render, nothing is saved

    # MutableMapping --------------------------------------------------------------------------
    def _d(self) -> dict:
        self.accessed = True
        if self._data is None:
            try:
                data = self._loader(self.sid) if self.sid else None
            except REDIS_DOWN_ERRORS:
                # Never raise from inside Flask or an extension's hooks: behave as an empty
                # session and let save_session turn the whole response into a 503.
                self.broken, self._data = True, {}
                return self._data
            if data is None:
                self.new, self.sid, data = True, None, {}
            self._data = data
        return self._data

    def __getitem__(self, key: str) -> Any:
        return self._d()[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self._d()[key] = value
        self.modified = True

    def __delitem__(self, key: str) -> None:
        del self._d()[key]
        self.modified = True

    def __iter__(self):
        return iter(self._d())

    def __len__(self) -> int:
        return len(self._d())

    @property
    def permanent(self) -> bool:
        return True

    @permanent.setter
    def permanent(self, value: bool) -> None:  # Flask-Login sets it; our cookies are always session-bound
        pass

    # Gateway operations -----------------------------------------------------------------------
    def regenerate(self) -> None:
        """New id, same data; the old key is deleted on save (defeats session fixation)."""
        self._d()
        if self.sid and not self.old_sid:
            self.old_sid = self.sid
        self.sid = None
        self.new = True
        self.modified = True

    def destroy(self) -> None:
        """Forget everything; the key is deleted and the cookie cleared on save."""
        self._d()
        self._data.clear()
        self.destroyed = True
        self.modified = True


class RedisSessionInterface(SessionInterface):
    def __init__(self, r: redis.Redis, cookie_name: str, idle_timeout: int, absolute_timeout: int,
                 secure: bool, clock: Callable[[], float] = time.time,
                 on_save: Callable[[RedisSession], None] | None = None,
                 ended: Callable[[str], bool] | None = None):
        self.r = r
        self.cookie_name = cookie_name
        self.idle = idle_timeout
        self.absolute = absolute_timeout
        self.secure = secure
        self.clock = clock
        self.on_save = on_save  # lets the SSO-session index follow id changes
        # An SSO session ended elsewhere (logout at another portal, admin, province) must not be
        # resurrected by a request that loaded it just before and saves it just after.
        self.ended = ended or (lambda sid: False)

    def load(self, sid: str) -> dict | None:
        if not sid or len(sid) > 64:
            return None
        raw = self.r.get(session_key(sid))
        if not raw:
            return None
        try:
            data = json.loads(raw)
        except ValueError:
            return None
        if data.get("_created", 0) + self.absolute < self.clock():
            return None  # past the absolute deadline; the sweeper notifies relying parties
        principal = data.get("principal")
        if principal and self.ended(principal["sid"]):
            return None
        return data

    def open_session(self, app, request):
        return RedisSession(request.cookies.get(self.cookie_name), self.load)

    def save_session(self, app, session: RedisSession, response) -> None:
        try:
            self._save(session, response)
        except REDIS_DOWN_ERRORS:
            session.broken = True
        if session.broken:
            make_unavailable(response)

    def _save(self, session: RedisSession, response) -> None:
        if session.broken:
            return
        cookie_kw = dict(path="/", httponly=True, secure=self.secure, samesite="Lax")
        if session.destroyed or (session.accessed and session._data is not None and not session._data):
            keys = [session_key(s) for s in (session.sid, session.old_sid) if s]
            if keys:
                self.r.delete(*keys)
            if session.sid or session.old_sid or self.cookie_name in _request_cookies():
                response.delete_cookie(self.cookie_name, **{k: cookie_kw[k] for k in ("path", "secure", "samesite", "httponly")})
            return
        if not session.accessed or session._data is None:
            return
        data = session._data
        now = self.clock()
        principal = data.get("principal")
        if principal and self.ended(principal["sid"]):
            self.r.delete(*[session_key(s) for s in (session.sid, session.old_sid) if s])
            response.delete_cookie(self.cookie_name, path="/", secure=self.secure, samesite="Lax", httponly=True)
            return
        if session.sid is None:
            session.sid = secrets.token_urlsafe(32)
            data.setdefault("_created", now)
        if session.old_sid:
            self.r.delete(session_key(session.old_sid))
        data["_seen"] = now
        ttl = max(1, min(self.idle, int(data.get("_created", now) + self.absolute - now)))
        self.r.set(session_key(session.sid), json.dumps(data, separators=(",", ":")), ex=ttl)
        if self.on_save:
            self.on_save(session)
        response.set_cookie(self.cookie_name, session.sid, **cookie_kw)
        response.vary.add("Cookie")


UNAVAILABLE_HTML = ("<!doctype html><html lang=zh-CN><meta charset=utf-8><title>服务暂时不可用</title>"
                    "<h1>服务暂时不可用 / Service temporarily unavailable</h1>"
                    "<p>系统正在恢复，请稍后重试。The system is recovering; please try again shortly.</p></html>")


def make_unavailable(response) -> None:
    """Replace a response (whatever it was: a page, a redirect) by a clear 503."""
    response.status_code = 503
    response.headers.pop("Location", None)
    response.headers.pop("Set-Cookie", None)
    response.headers["Retry-After"] = "5"
    response.headers["Cache-Control"] = "no-store"
    if response.mimetype == "application/json":
        response.set_data(b'{"error":"temporarily_unavailable","error_description":"session store unavailable"}')
    else:
        response.mimetype = "text/html"
        response.set_data(UNAVAILABLE_HTML.encode())


def _request_cookies():
    from flask import request

    return request.cookies

