"""Protocol client of the provincial identity system (DB37/T 3448.8 as simulated in PROVINCIAL.md §2).

Browser leg: builds the login / logout / unit-switch URLs. Back channel: getSign (cached) ->
ticketToToken -> getUserInfo over ONE pooled ``requests.Session`` so the gateway's workers reuse
connections to the province. Logout notices from the province are verified here too.

Everything upstream-specific lives in this module and ``provincial_mapping``; pointing at a real
endpoint is configuration only (base URL, appMark, appWord).
"""

from __future__ import annotations

import hmac as _hmac
import logging
import secrets
import threading
import time
from typing import Any, Callable, Mapping
from urllib.parse import urlencode

import requests
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import hmac as _chmac
from requests.adapters import HTTPAdapter

from .base import ConnectorError, UpstreamUnavailable

log = logging.getLogger(__name__)

SSO = "/jpaas-jis-sso-server/sso"
BUSY = "5000"
BAD_APP_SIGN = "1008"
APP_SIGN_MARGIN = 120.0  # renew the cached appSign this long before it expires
NOTICE_WINDOW = 300.0  # accepted clock skew of a logout notice, seconds

# Refusal code -> stable message key (the view resolves it to zh-CN text); anything else -> provincial.refused.
USER_MESSAGES: dict[str, str] = {
    "2001": "provincial.ticket_invalid", "2002": "provincial.ticket_invalid",
    "2003": "provincial.ticket_invalid", "2004": "provincial.ticket_invalid",
    "3001": "provincial.session_ended", "3002": "provincial.session_ended",
    "4001": "provincial.level_too_low", "4002": "provincial.user_type_not_allowed",
    "4003": "provincial.account_frozen",
}


def canonical_string(params: Mapping[str, Any]) -> str:
    return "&".join(f"{k}={params[k]}" for k in sorted(params) if k != "sign")


def sign_params(params: Mapping[str, Any], app_word: str) -> str:
    """lower-hex HMAC-SM3 over the sorted ``k=v`` pairs (PROVINCIAL.md §2.3)."""
    mac = _chmac.HMAC(app_word.encode("utf-8"), hashes.SM3())
    mac.update(canonical_string(params).encode("utf-8"))
    return mac.finalize().hex()


class ProvincialClient:
    """Client of one registered app (``app_mark``/``app_word``) at the provincial system.

    Thread-safe: one instance per gateway worker process is intended.
    """

    def __init__(self, base_url: str, app_mark: str, app_word: str, connect_timeout: float = 3.0,
                 read_timeout: float = 5.0, require_app_sign: bool = True,
                 clock: Callable[[], float] = time.time, *, login_path: str = "/jis-web/login",
                 seen_nonce: Callable[[str], bool] | None = None, pool_maxsize: int = 16):
        self.base_url = base_url.rstrip("/")
        self.app_mark = app_mark
        self.app_word = app_word
        self.timeout = (connect_timeout, read_timeout)
        self.require_app_sign = require_app_sign
        self.clock = clock
        self.login_path = login_path
        self._seen_nonce = seen_nonce
        self._local_nonces: dict[str, float] = {}
        self._lock = threading.Lock()
        self._app_sign: tuple[str, float] | None = None
        self.http = requests.Session()
        # No automatic retries: a retried ticketToToken would hit "ticket already used".
        adapter = HTTPAdapter(pool_connections=2, pool_maxsize=pool_maxsize, max_retries=0)
        self.http.mount("http://", adapter)
        self.http.mount("https://", adapter)

    # --- browser leg ---------------------------------------------------------------------
    def login_url(self, user_type: int, back_url: str, auth_level: int | None = None, mobile: bool = False,
                  force_login: bool = False) -> str:
        """Where to send the browser. ``auth_level`` asks for step-up and ``force_login`` for a fresh
        login despite a provincial session (both our extensions, [inference])."""
        if user_type not in (1, 2):
            raise ValueError("user_type must be 1 (natural) or 2 (legal)")
        params: dict[str, Any] = {"appMark": self.app_mark, "userType": user_type, "backUrl": back_url}
        if auth_level is not None:
            params["authLevel"] = int(auth_level)
        if force_login:
            params["forceLogin"] = 1
        if mobile:
            params["gbTrust"] = "false"  # as seen on the real mobile entry
        path = "/jis-web/login_m" if mobile else self.login_path
        return f"{self.base_url}{path}?{urlencode(params)}"

    def logout_url(self, back_url: str) -> str:
        return f"{self.base_url}{SSO}/logout?{urlencode({'appMark': self.app_mark, 'backUrl': back_url})}"

    def switch_corp_url(self, back_url: str) -> str:
        query = urlencode({"appMark": self.app_mark, "backUrl": back_url})
        return f"{self.base_url}{SSO}/entrance/switch-corp?{query}"

    # --- back channel ----------------------------------------------------------------------
    def _post(self, interface: str, params: dict[str, Any]) -> dict:
        form = {k: str(v) for k, v in params.items()}
        form.update(appMark=self.app_mark, timestamp=str(int(self.clock() * 1000)), nonce=secrets.token_hex(16))
        form["sign"] = sign_params(form, self.app_word)
        url = f"{self.base_url}{SSO}/interface/{interface}"
        try:
            resp = self.http.post(url, data=form, timeout=self.timeout)
        except requests.Timeout as exc:
            raise UpstreamUnavailable("provincial.unavailable", f"{interface}: timeout", retryable=True) from exc
        except requests.RequestException as exc:
            raise UpstreamUnavailable("provincial.unavailable", f"{interface}: {type(exc).__name__}",
                                      retryable=True) from exc
        if resp.status_code != 200:
            raise UpstreamUnavailable("provincial.unavailable", f"{interface}: HTTP {resp.status_code}",
                                      retryable=True)
        try:
            body = resp.json()
            code, msg = str(body["code"]), str(body.get("msg", ""))
        except (ValueError, KeyError, TypeError) as exc:
            raise UpstreamUnavailable("provincial.unavailable", f"{interface}: not a JSON envelope",
                                      retryable=True) from exc
        if code == "0":
            data = body.get("data")
            if not isinstance(data, dict):
                raise UpstreamUnavailable("provincial.unavailable", f"{interface}: no data", retryable=True)
            return data
        if code == BUSY:
            raise UpstreamUnavailable("provincial.unavailable", f"{interface}: {code} {msg}", retryable=True)
        raise ConnectorError(USER_MESSAGES.get(code, "provincial.refused"), f"{interface}: {code} {msg}")

    def app_sign(self, force: bool = False) -> str:
        """The getSign credential, cached until shortly before it expires."""
        with self._lock:
            cached = self._app_sign
            if cached and not force and cached[1] > self.clock():
                return cached[0]
        data = self._post("getSign", {})
        value, ttl = str(data["appSign"]), float(data.get("expiresIn", 7200))
        with self._lock:
            self._app_sign = (value, self.clock() + max(ttl - APP_SIGN_MARGIN, ttl / 2))
        return value

    def _signed_call(self, interface: str, params: dict[str, Any]) -> dict:
        if not self.require_app_sign:
            return self._post(interface, params)
        try:
            return self._post(interface, {**params, "appSign": self.app_sign()})
        except ConnectorError as exc:
            # The province may have restarted or rotated credentials: fetch a new appSign once.
            if not exc.reason.split(": ", 1)[-1].startswith(BAD_APP_SIGN):
                raise
            return self._post(interface, {**params, "appSign": self.app_sign(force=True)})

    def exchange_ticket(self, ticket: str, back_url: str) -> dict:
        """ticket -> token -> user info. Returns the user-info ``data`` plus ``token``/``tokenExpiresIn``."""
        if not ticket:
            raise ConnectorError("provincial.ticket_invalid", "no ticket on the callback")
        tok = self._signed_call("ticketToToken", {"ticket": ticket, "backUrl": back_url})
        info = self.get_user_info(str(tok["token"]))
        return {**info, "token": tok["token"], "tokenExpiresIn": tok.get("expiresIn")}

    def get_user_info(self, token: str) -> dict:
        return self._signed_call("getUserInfo", {"token": token})

    # --- logout notices --------------------------------------------------------------------
    def verify_logout_notice(self, form: Mapping[str, str],
                             seen_nonce: Callable[[str], bool] | None = None) -> dict:
        """Check a back-channel logout notice; returns ``{"session_index", "user_id"}``.

        ``seen_nonce(nonce)`` must return True if the nonce was already seen and record it atomically
        (e.g. Redis ``SET NX EX 600``) -- with several workers an in-process memory can't see replays.
        """
        fields = {k: str(form.get(k, "")) for k in ("sessionIndex", "userId", "timestamp", "nonce", "sign")}
        if not all(fields.values()):
            raise ConnectorError("provincial.bad_logout_notice", "missing field")
        extra = {k: str(v) for k, v in form.items() if k not in fields}
        expected = sign_params({**fields, **extra}, self.app_word)
        if not _hmac.compare_digest(expected.encode(), fields["sign"].lower().encode()):
            raise ConnectorError("provincial.bad_logout_notice", "bad signature")
        if not fields["timestamp"].isdigit() or abs(int(fields["timestamp"]) / 1000 - self.clock()) > NOTICE_WINDOW:
            raise ConnectorError("provincial.bad_logout_notice", "stale timestamp")
        check = seen_nonce or self._seen_nonce or self._seen_locally
        if check(fields["nonce"]):
            raise ConnectorError("provincial.bad_logout_notice", "replayed nonce")
        return {"session_index": fields["sessionIndex"], "user_id": fields["userId"]}

    def _seen_locally(self, nonce: str) -> bool:
        with self._lock:
            now = self.clock()
            self._local_nonces = {n: t for n, t in self._local_nonces.items() if t > now}
            if nonce in self._local_nonces:
                return True
            self._local_nonces[nonce] = now + 2 * NOTICE_WINDOW
            return False

    def close(self) -> None:
        self.http.close()
