"""Accepting the gateway's access tokens on an API (resource server).

:class:`AccessTokenVerifier` checks RFC 9068 JWT access tokens locally against
the JWKS (no network call once the keys are cached); :class:`IntrospectionVerifier`
asks the gateway (RFC 7662), which also sees revocations, with a short cache.
:func:`require_token` is the Flask decorator that applies either one (RFC 6750).
"""

from __future__ import annotations

import functools
import hashlib
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Collection
from typing import Any, Protocol, TypeVar

import requests

from ._http import client_auth, new_session, post_form
from ._jwt import audiences, check_typ, is_number, verify_signed_jwt
from .discovery import Discovery
from .errors import InsufficientScope, InvalidAccessToken, TokenRequestError

logger = logging.getLogger("sso_client")

F = TypeVar("F", bound=Callable[..., Any])


class TokenVerifier(Protocol):
    """Anything that turns a bearer token into claims or raises."""

    def verify(self, token: str, scope: str | None = None) -> dict[str, Any]:
        """Return the token's claims; raise InvalidAccessToken or InsufficientScope."""


def check_scope(claims: dict[str, Any], required: str | None) -> None:
    """Raise :class:`InsufficientScope` unless every scope in ``required`` was granted."""
    if not required:
        return
    granted = set(str(claims.get("scope") or "").split())
    missing = [s for s in required.split() if s not in granted]
    if missing:
        raise InsufficientScope(required)


class AccessTokenVerifier:
    """Verifies the gateway's JWT access tokens (RFC 9068) locally.

    :param issuer: the gateway's issuer.
    :param audience: if set, ``aud`` must contain it (or one of them, when a collection is given).
        The gateway puts the requesting client's ``client_id`` in ``aud``, so for an API this is
        the list of client ids allowed to call it.
    :param required_scope: scopes every token must carry (in addition to per-call ``scope``).
    :param discovery: a shared :class:`Discovery` (created from ``issuer`` otherwise).
    :param leeway: tolerated clock skew in seconds.
    :param algorithms: accepted signature algorithms.
    :param cache_size: remember this many signature-verified tokens (keyed by SHA-256 of the
        token) so a token presented again skips the ECDSA check; the claim checks (``exp``,
        ``aud``, scope …) still run on every call. 0 (the default) disables the cache.
    """

    def __init__(
        self,
        issuer: str,
        audience: str | Collection[str] | None = None,
        required_scope: str | None = None,
        *,
        discovery: Discovery | None = None,
        leeway: int = 60,
        algorithms: Collection[str] = ("ES256", "RS256"),
        cache_size: int = 0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.issuer = issuer
        self.audience = {audience} if isinstance(audience, str) else set(audience) if audience is not None else None
        self.cache_size = cache_size
        self._cache: OrderedDict[bytes, dict[str, Any]] = OrderedDict()
        self._cache_lock = threading.Lock()
        self.required_scope = required_scope
        self.discovery = discovery or Discovery(issuer)
        self.leeway = leeway
        self.algorithms = tuple(algorithms)
        self.clock = clock

    def verify(self, token: str, scope: str | None = None) -> dict[str, Any]:
        """Verify ``token``; return its claims. ``scope`` adds per-call required scopes."""
        claims = self._verified_claims(token)
        if claims.get("iss") != self.issuer:
            raise InvalidAccessToken("iss does not match the issuer")
        if self.audience is not None and not self.audience.intersection(audiences(claims)):
            raise InvalidAccessToken("aud does not contain this resource")
        now = self.clock()
        exp, iat = claims.get("exp"), claims.get("iat")
        if not is_number(exp) or now > exp + self.leeway:
            raise InvalidAccessToken("token expired")
        if not is_number(iat) or iat > now + self.leeway:
            raise InvalidAccessToken("iat missing or in the future")
        if not isinstance(claims.get("sub"), str) or not isinstance(claims.get("client_id"), str):
            raise InvalidAccessToken("sub and client_id are required")
        check_scope(claims, self.required_scope)
        check_scope(claims, scope)
        return dict(claims)  # a copy: the cached dict must not be changed by callers

    def _verified_claims(self, token: str) -> dict[str, Any]:
        """Signature and typ check, through the cache when enabled."""
        if self.cache_size <= 0:
            return self._verify_signature(token)
        digest = hashlib.sha256(token.encode()).digest()
        with self._cache_lock:
            claims = self._cache.get(digest)
            if claims is not None:
                self._cache.move_to_end(digest)
                return claims
        claims = self._verify_signature(token)
        with self._cache_lock:
            self._cache[digest] = claims
            while len(self._cache) > self.cache_size:
                self._cache.popitem(last=False)
        return claims

    def _verify_signature(self, token: str) -> dict[str, Any]:
        header, claims = verify_signed_jwt(token, self.discovery, self.algorithms, InvalidAccessToken)
        # RFC 9068 §4: typ must be at+jwt, so an id_token cannot be used as an access token.
        check_typ(header, "at+jwt", InvalidAccessToken, required=True)
        return claims


class IntrospectionVerifier:
    """Verifies tokens by RFC 7662 introspection, caching answers for ``cache_ttl`` seconds.

    The cache is keyed by a SHA-256 of the token (tokens are never kept in memory as
    keys), and an entry never outlives the token's ``exp``.

    :param introspection_endpoint: the endpoint URL, or ``None`` to take it from ``discovery``.
    :param client_id: the resource server's own client id at the gateway.
    :param client_secret: its secret (sent with client_secret_basic).
    :param discovery: used when ``introspection_endpoint`` is not given.
    :param cache_ttl: seconds an answer is reused; 0 disables the cache.
    """

    def __init__(
        self,
        introspection_endpoint: str | None = None,
        client_id: str = "",
        client_secret: str = "",
        *,
        discovery: Discovery | None = None,
        cache_ttl: float = 30,
        required_scope: str | None = None,
        http: requests.Session | None = None,
        timeout: float = 5,
        max_entries: int = 10_000,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not introspection_endpoint and discovery is None:
            raise ValueError("introspection_endpoint or discovery is required")
        self.introspection_endpoint = introspection_endpoint
        self.discovery = discovery
        self.client_id = client_id
        self.client_secret = client_secret
        self.cache_ttl = cache_ttl
        self.required_scope = required_scope
        self.http = http or new_session()
        self.timeout = timeout
        self.max_entries = max_entries
        self.clock = clock
        self._cache: dict[str, tuple[float, dict[str, Any] | None]] = {}
        self._lock = threading.Lock()

    def verify(self, token: str, scope: str | None = None) -> dict[str, Any]:
        """Return the introspection answer for an active token; raise otherwise."""
        claims = self._lookup(token)
        if claims is None:
            raise InvalidAccessToken("token is not active")
        check_scope(claims, self.required_scope)
        check_scope(claims, scope)
        return claims

    def _lookup(self, token: str) -> dict[str, Any] | None:
        digest = hashlib.sha256(token.encode()).hexdigest()
        now = self.clock()
        with self._lock:
            hit = self._cache.get(digest)
            if hit is not None and hit[0] > now:
                return hit[1]
        claims = self._introspect(token)
        if self.cache_ttl > 0:
            until = now + self.cache_ttl
            if claims is not None and is_number(claims.get("exp")):
                until = min(until, float(claims["exp"]))
            with self._lock:
                if len(self._cache) >= self.max_entries:
                    self._cache = {k: v for k, v in self._cache.items() if v[0] > now}
                    if len(self._cache) >= self.max_entries:
                        self._cache.clear()
                self._cache[digest] = (until, claims)
        return claims

    def _introspect(self, token: str) -> dict[str, Any] | None:
        url = self.introspection_endpoint or self.discovery.endpoint("introspection_endpoint")  # type: ignore[union-attr]
        form, auth = client_auth({"token": token}, self.client_id, self.client_secret, "client_secret_basic")
        try:
            body = post_form(self.http, url, form, auth=auth, timeout=self.timeout, what="introspection")
        except TokenRequestError as exc:
            # The gateway being unreachable is not the client's fault, but failing
            # closed is the only safe answer.
            raise InvalidAccessToken(f"introspection failed: {exc.error}") from exc
        if body.get("active") is not True:
            return None
        exp = body.get("exp")
        if is_number(exp) and self.clock() > exp:
            return None
        return body


def _bearer_token(authorization: str | None) -> str | None:
    if not authorization:
        return None
    scheme, _, value = authorization.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


def require_token(scope: str | None = None, verifier: TokenVerifier | None = None) -> Callable[[F], F]:
    """Flask decorator: require a valid bearer token (from the Authorization header only).

    On success the claims are on ``flask.g.token_claims``. Otherwise the response is
    401 with ``WWW-Authenticate: Bearer error="invalid_token"`` (or no error code when
    no token was sent) or 403 ``insufficient_scope``, as RFC 6750 §3 prescribes.
    ``verifier`` defaults to ``app.config["SSO_TOKEN_VERIFIER"]``.
    """
    from flask import current_app, g, jsonify, request

    def decorator(view: F) -> F:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            v = verifier or current_app.config.get("SSO_TOKEN_VERIFIER")
            if v is None:
                raise RuntimeError("require_token needs a verifier (or app.config['SSO_TOKEN_VERIFIER'])")
            token = _bearer_token(request.headers.get("Authorization"))
            if token is None:
                return _challenge(401, None, jsonify, scope)
            try:
                g.token_claims = v.verify(token, scope)
            except InsufficientScope:
                return _challenge(403, "insufficient_scope", jsonify, scope)
            except InvalidAccessToken as exc:
                logger.info("bearer token refused: %s", exc)
                return _challenge(401, "invalid_token", jsonify, scope)
            return view(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorator


def _challenge(status: int, error: str | None, jsonify: Callable[..., Any], scope: str | None) -> Any:
    parts = ['Bearer realm="api"']
    if error:
        parts.append(f'error="{error}"')
    if error == "insufficient_scope" and scope:
        parts.append(f'scope="{scope}"')
    resp = jsonify({"error": error or "invalid_request"})
    resp.status_code = status
    resp.headers["WWW-Authenticate"] = ", ".join(parts)
    resp.headers["Cache-Control"] = "no-store"
    return resp
