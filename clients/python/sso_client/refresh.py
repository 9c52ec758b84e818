"""Refreshing tokens safely when many threads or workers share one login.

The gateway rotates refresh tokens and treats a second use of a rotated-out
refresh token as theft: it revokes the whole token family, which logs the user
out. Two requests of the same user that both notice an expiring access token
must therefore not both refresh. :class:`TokenManager` serialises refreshes per
local session with the store's lock (a ``threading.Lock`` in memory, a Redis
``SET NX PX`` lock with :class:`~sso_client.session_store.RedisSessionStore`),
and a waiter that gets the lock after someone else refreshed reuses the tokens
that were just stored instead of refreshing again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from .client import OIDCClient
from .session_store import SessionStore, tokens_key
from .tokens import TokenSet

logger = logging.getLogger("sso_client")

DEFAULT_TOKENS_TTL = 12 * 3600


class TokenManager:
    """Keeps each local session's tokens in the store and refreshes them one at a time.

    :param client: the OIDC client used to refresh.
    :param store: the session store (shared by all workers in production).
    :param skew: refresh when the access token expires within this many seconds.
    :param lock_timeout: seconds to wait for (and to hold at most) the refresh lock.
    :param tokens_ttl: lifetime of the stored tokens, in seconds.
    """

    def __init__(
        self,
        client: OIDCClient,
        store: SessionStore,
        *,
        skew: float = 30,
        lock_timeout: float = 10,
        tokens_ttl: int = DEFAULT_TOKENS_TTL,
        clock: Callable[[], float] | None = None,
    ) -> None:
        self.client = client
        self.store = store
        self.skew = skew
        self.lock_timeout = lock_timeout
        self.tokens_ttl = tokens_ttl
        self.clock = clock or client.clock

    def save(self, key: str, token_set: TokenSet) -> None:
        """Store the tokens of a local session (after login)."""
        self.store.put(tokens_key(key), token_set.to_dict(), self.tokens_ttl)

    def load(self, key: str) -> TokenSet | None:
        """The stored tokens of a local session, possibly expired."""
        data = self.store.get(tokens_key(key))
        return TokenSet.from_dict(data) if data else None

    def get_fresh(self, key: str, token_set: TokenSet | None = None) -> TokenSet | None:
        """Tokens for ``key`` whose access token is valid for at least ``skew`` seconds.

        ``token_set`` is the caller's copy (optional; the stored one is used
        otherwise). Returns ``None`` if there are no tokens, or if the token cannot be
        refreshed (no refresh token). Refresh errors from the gateway
        (:class:`~sso_client.errors.TokenRequestError`, e.g. ``invalid_grant`` when the
        session was ended) propagate.
        """
        current = token_set or self.load(key)
        if current is None:
            return None
        if not current.needs_refresh(self.skew, now=self.clock()):
            return current
        with self.store.lock(f"refresh:{key}", self.lock_timeout):
            # Someone may have refreshed while we waited: their tokens are the only
            # valid ones now, because our refresh token has been rotated out.
            latest = self.load(key) or current
            if not latest.needs_refresh(self.skew, now=self.clock()):
                logger.debug("reusing tokens refreshed by another request")
                return latest
            if not latest.refresh_token:
                return None
            fresh = self.client.refresh(latest)
            self.save(key, fresh)
            logger.info("refreshed tokens for sub=%s", fresh.claims.get("sub"))
            return fresh
