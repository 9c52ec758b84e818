"""Runtime state of the simulator: sessions, login transactions, tickets, tokens, appSigns, nonces.

In memory behind one lock: the simulator is a single process and this keeps every check-and-consume
(ticket redemption, nonce use) atomic. Expiry is checked lazily against the injected clock.
"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Callable


@dataclass
class Session:
    """A provincial SSO session (cookie ``JIS_TGC``)."""

    session_id: str  # the cookie value, never shown to apps
    session_index: str  # what apps see, for back-channel logout
    user_id: str
    auth_level: int
    auth_methods: list[str]
    login_time: float
    corp_id: str | None = None  # the unit currently acted for (userType 2)
    apps: set[str] = field(default_factory=set)  # appMarks that got a ticket, for logout notices
    ended: bool = False


@dataclass
class LoginTx:
    """One pass through the login pages for one app request (hidden field ``tx``)."""

    tx_id: str
    csrf: str
    app_mark: str
    user_type: int
    back_url: str
    required_level: int
    mobile: bool
    created: float
    user_id: str | None = None  # set after the password step
    session_id: str | None = None  # set once a session exists
    switch_corp: bool = False


@dataclass
class Ticket:
    ticket: str
    app_mark: str
    back_url: str
    session_id: str
    user_type: int
    corp_id: str | None
    created: float
    used: bool = False


@dataclass
class Token:
    token: str
    app_mark: str
    session_id: str
    user_type: int
    corp_id: str | None
    created: float
    expires: float


def new_id(prefix: str, nbytes: int = 12) -> str:
    return f"{prefix}{secrets.token_hex(nbytes)}"


DEFAULT_FAULTS = {"slow_seconds": 0.0, "busy": False, "backchannel_down": False}


class Store:
    def __init__(self, clock: Callable[[], float] = time.time):
        self.clock = clock
        self.lock = threading.RLock()
        self.faults: dict = dict(DEFAULT_FAULTS)
        self.reset()

    def reset(self, faults: dict | None = None) -> None:
        with self.lock:
            self.sessions: dict[str, Session] = {}
            self.txs: dict[str, LoginTx] = {}
            self.tickets: dict[str, Ticket] = {}
            self.tokens: dict[str, Token] = {}
            self.app_signs: dict[str, tuple[str, float]] = {}  # appSign -> (appMark, expires)
            self.nonces: dict[tuple[str, str], float] = {}  # (appMark, nonce) -> expires
            self.notices: list[dict] = []  # outcome of each back-channel logout notice
            self.faults = dict(DEFAULT_FAULTS, **(faults or {}))

    # --- sessions -------------------------------------------------------------------------
    def create_session(self, user_id: str, auth_level: int, methods: list[str]) -> Session:
        with self.lock:
            sess = Session(new_id("TGC-", 16), new_id("SID-"), user_id, auth_level, methods, self.clock())
            self.sessions[sess.session_id] = sess
            return sess

    def live_session(self, session_id: str | None, max_age: float) -> Session | None:
        with self.lock:
            sess = self.sessions.get(session_id or "")
            if sess is None or sess.ended:
                return None
            if self.clock() - sess.login_time > max_age:
                sess.ended = True
                return None
            return sess

    def end_session(self, session_id: str) -> Session | None:
        """End the session and revoke its tokens and unused tickets; returns it if it was live."""
        with self.lock:
            sess = self.sessions.get(session_id)
            if sess is None or sess.ended:
                return None
            sess.ended = True
            for tok in [t for t in self.tokens.values() if t.session_id == session_id]:
                tok.expires = 0
            return sess

    def set_corp(self, sess: Session, corp_id: str) -> None:
        with self.lock:
            sess.corp_id = corp_id

    def raise_level(self, sess: Session, level: int, method: str) -> None:
        with self.lock:
            sess.auth_level = max(sess.auth_level, level)
            if method not in sess.auth_methods:
                sess.auth_methods.append(method)

    # --- login transactions -------------------------------------------------------------
    def create_tx(self, **kwargs) -> LoginTx:
        with self.lock:
            self._prune()
            tx = LoginTx(tx_id=new_id("TX-"), csrf=secrets.token_urlsafe(16), created=self.clock(), **kwargs)
            self.txs[tx.tx_id] = tx
            return tx

    def get_tx(self, tx_id: str, csrf: str, max_age: float = 900) -> LoginTx | None:
        with self.lock:
            tx = self.txs.get(tx_id or "")
            if tx is None or not secrets.compare_digest(tx.csrf.encode(), (csrf or "").encode()) or self.clock() - tx.created > max_age:
                return None
            return tx

    def drop_tx(self, tx_id: str) -> None:
        with self.lock:
            self.txs.pop(tx_id, None)

    # --- tickets and tokens -------------------------------------------------------------
    def issue_ticket(self, sess: Session, app_mark: str, back_url: str, user_type: int) -> Ticket:
        with self.lock:
            tk = Ticket(new_id("ST-"), app_mark, back_url, sess.session_id, user_type,
                        sess.corp_id if user_type == 2 else None, self.clock())
            self.tickets[tk.ticket] = tk
            sess.apps.add(app_mark)
            return tk

    def issue_token(self, tk: Ticket, ttl: float, max_lifetime: float) -> Token:
        with self.lock:
            now = self.clock()
            tok = Token(new_id("TK-"), tk.app_mark, tk.session_id, tk.user_type, tk.corp_id, now,
                        min(now + ttl, now + max_lifetime))
            self.tokens[tok.token] = tok
            return tok

    def issue_app_sign(self, app_mark: str, ttl: float) -> str:
        with self.lock:
            value = new_id("AS-", 16)
            self.app_signs[value] = (app_mark, self.clock() + ttl)
            return value

    def app_sign_valid(self, value: str, app_mark: str) -> bool:
        with self.lock:
            entry = self.app_signs.get(value or "")
            return entry is not None and entry[0] == app_mark and entry[1] > self.clock()

    def _prune(self, every: int = 500) -> None:
        """Drop long-dead transactions, tickets and tokens so a long demo run stays small."""
        if len(self.txs) + len(self.tickets) + len(self.tokens) < every:
            return
        now = self.clock()
        self.txs = {k: t for k, t in self.txs.items() if now - t.created < 3600}
        self.tickets = {k: t for k, t in self.tickets.items() if now - t.created < 3600}
        self.tokens = {k: t for k, t in self.tokens.items() if t.expires > now}

    def use_nonce(self, app_mark: str, nonce: str, ttl: float) -> bool:
        """Record a nonce; False if it was already used within ``ttl``."""
        with self.lock:
            now = self.clock()
            if len(self.nonces) > 10000:  # keep memory bounded on long demo runs
                self.nonces = {k: v for k, v in self.nonces.items() if v > now}
            key = (app_mark, nonce)
            if self.nonces.get(key, 0) > now:
                return False
            self.nonces[key] = now + ttl
            return True
