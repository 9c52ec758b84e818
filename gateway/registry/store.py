"""Registry of relying parties: create, look up (cached), rotate secrets, enable/disable."""

from __future__ import annotations

import secrets
import threading
import time
from typing import Callable
from urllib.parse import urlsplit

from sqlalchemy import select

from ..crypto import keyed_hash
from ..db import Database
from .clients import Client
from .models import RelyingParty
from .policy import PolicyError, effective_policy, validate_policy
from .validation import RegistrationError, validate_registration

DEFAULT_SCOPE = "openid profile"


def new_client_secret() -> str:
    return secrets.token_urlsafe(32)  # 256 bits


def new_client_id(name: str) -> str:
    return "rp-" + secrets.token_hex(8)


def _sector_of(rp: RelyingParty) -> str:
    if rp.sector_identifier:
        return rp.sector_identifier
    hosts = sorted({urlsplit(u).hostname or "" for u in rp.redirect_uris})
    return hosts[0] if len(hosts) == 1 else rp.client_id  # several hosts: one sector per client


EPOCH_KEY = "gw:clients-epoch"
EPOCH_POLL = 1.0  # a change reaches every worker within this many seconds


class ClientStore:
    """Client lookups are cached per process; any change bumps an epoch in Redis that every worker
    polls (one GET a second), so a disabled client or a rotated secret stops working everywhere
    within a second. If Redis is unreachable the cache still expires after ``cache_ttl``."""

    def __init__(self, db: Database, secret_key: bytes, r=None, cache_ttl: float = 30.0,
                 clock: Callable[[], float] = time.time, supported_scopes: tuple[str, ...] | None = None):
        self.db = db
        self.supported_scopes = supported_scopes
        self.secret_key = secret_key
        self.r = r
        self.cache_ttl = cache_ttl
        self.clock = clock
        self._cache: dict[str, tuple[float, int, Client | None]] = {}
        self._lock = threading.Lock()
        self._epoch_value, self._epoch_read_at = 0, -1e18

    def _epoch(self) -> int:
        """The registry's change counter, read from Redis at most every ``EPOCH_POLL`` seconds."""
        if self.r is None:
            return 0
        now = self.clock()
        if now - self._epoch_read_at < EPOCH_POLL:
            return self._epoch_value
        try:
            value = int(self.r.get(EPOCH_KEY) or 0)
        except Exception:  # Redis down: fall back to the TTL
            return -1
        self._epoch_value, self._epoch_read_at = value, now
        return value

    def _bump(self) -> None:
        self._epoch_read_at = -1e18  # this process sees its own change at once
        if self.r is not None:
            try:
                self.r.incr(EPOCH_KEY)
            except Exception:
                pass

    def hash_secret(self, secret: str) -> str:
        return keyed_hash(self.secret_key, secret)

    def snapshot(self, rp: RelyingParty) -> Client:
        return Client(
            client_id=rp.client_id, name=rp.name, department=rp.department, secret_hash=rp.secret_hash,
            redirect_uris=tuple(rp.redirect_uris or ()),
            post_logout_redirect_uris=tuple(rp.post_logout_redirect_uris or ()),
            backchannel_logout_uri=rp.backchannel_logout_uri, frontchannel_logout_uri=rp.frontchannel_logout_uri,
            grant_types=tuple(rp.grant_types or ()), scope=rp.scope,
            token_endpoint_auth_method=rp.token_endpoint_auth_method, jwks=rp.jwks,
            subject_type=rp.subject_type, sector_identifier=_sector_of(rp),
            id_token_signed_response_alg=rp.id_token_signed_response_alg,
            allowed_user_types=tuple(rp.allowed_user_types or ()), min_acr_level=rp.min_acr_level or 0,
            release_policy=effective_policy(rp.release_policy, rp.scope, bool(rp.first_party)),
            first_party=bool(rp.first_party),
            enabled=bool(rp.enabled), version=rp.version or 1, secret_key=self.secret_key)

    def get(self, client_id: str | None) -> Client | None:
        """An enabled client, or None. Used by authlib's ``query_client``."""
        if not isinstance(client_id, str) or not client_id or len(client_id) > 64:
            return None
        now = self.clock()
        epoch = self._epoch()
        hit = self._cache.get(client_id)
        if hit and hit[0] > now and (hit[1] == epoch or epoch == -1):
            return hit[2]
        with self.db.session() as s:
            rp = s.scalar(select(RelyingParty).where(RelyingParty.client_id == client_id))
            client = self.snapshot(rp) if rp is not None and rp.enabled else None
        with self._lock:
            if len(self._cache) > 10000:
                self._cache.clear()
            self._cache[client_id] = (now + self.cache_ttl, epoch, client)
        return client

    def invalidate(self, client_id: str | None = None) -> None:
        self._bump()
        with self._lock:
            if client_id is None:
                self._cache.clear()
            else:
                self._cache.pop(client_id, None)

    def create(self, *, name: str, redirect_uris=(), post_logout_redirect_uris=(), backchannel_logout_uri=None,
               frontchannel_logout_uri=None, grant_types=("authorization_code", "refresh_token"),
               scope: str = DEFAULT_SCOPE, public: bool = False, token_endpoint_auth_method: str | None = None,
               department: str = "", subject_type: str = "pairwise", id_token_signed_response_alg: str = "RS256",
               allowed_user_types=("natural", "legal", "staff", "local"), min_acr_level: int = 0,
               client_id: str | None = None, first_party: bool = False, release_policy: dict | None = None,
               sector_identifier: str | None = None, jwks: dict | None = None) -> tuple[RelyingParty, str | None]:
        """Register a relying party. Returns it and the plaintext secret (shown once; None if public)."""
        method = token_endpoint_auth_method or ("none" if public else "client_secret_basic")
        grant_types = list(dict.fromkeys(grant_types))
        validate_registration(
            name=name, redirect_uris=list(redirect_uris), post_logout_redirect_uris=list(post_logout_redirect_uris),
            backchannel_logout_uri=backchannel_logout_uri, frontchannel_logout_uri=frontchannel_logout_uri,
            grant_types=grant_types, scope=scope, token_endpoint_auth_method=method, subject_type=subject_type,
            id_token_signed_response_alg=id_token_signed_response_alg, allowed_user_types=list(allowed_user_types),
            min_acr_level=min_acr_level, jwks=jwks, supported_scopes=self.supported_scopes)
        try:
            validate_policy(release_policy or {})
        except PolicyError as exc:
            raise RegistrationError([f"release policy: {exc}"]) from exc
        secret = None if method in ("none", "private_key_jwt") else new_client_secret()
        with self.db.session() as s:
            cid = client_id or new_client_id(name)
            if s.scalar(select(RelyingParty.id).where(RelyingParty.client_id == cid)) is not None:
                raise RegistrationError([f"client_id {cid!r} already exists"])
            rp = RelyingParty(
                client_id=cid, name=name, department=department,
                secret_hash=self.hash_secret(secret) if secret else None,
                secret_rotated_at=int(self.clock()) if secret else None,
                redirect_uris=list(redirect_uris), post_logout_redirect_uris=list(post_logout_redirect_uris),
                backchannel_logout_uri=backchannel_logout_uri, frontchannel_logout_uri=frontchannel_logout_uri,
                grant_types=grant_types, scope=" ".join(dict.fromkeys(scope.split())),
                token_endpoint_auth_method=method, jwks=jwks, subject_type=subject_type,
                sector_identifier=sector_identifier, id_token_signed_response_alg=id_token_signed_response_alg,
                allowed_user_types=list(allowed_user_types), min_acr_level=min_acr_level,
                release_policy=release_policy or {}, first_party=first_party, enabled=True)
            s.add(rp)
        self.invalidate(rp.client_id)
        return rp, secret

    def rotate_secret(self, client_id: str) -> str:
        secret = new_client_secret()
        with self.db.session() as s:
            rp = s.scalar(select(RelyingParty).where(RelyingParty.client_id == client_id))
            if rp is None:
                raise LookupError(client_id)
            if rp.token_endpoint_auth_method in ("none", "private_key_jwt"):
                raise RegistrationError([f"{client_id} does not authenticate with a secret"])
            rp.secret_hash = self.hash_secret(secret)
            rp.secret_rotated_at = int(self.clock())
            rp.version = (rp.version or 1) + 1
        self.invalidate(client_id)
        return secret

    def set_enabled(self, client_id: str, enabled: bool) -> None:
        with self.db.session() as s:
            rp = s.scalar(select(RelyingParty).where(RelyingParty.client_id == client_id))
            if rp is None:
                raise LookupError(client_id)
            rp.enabled = enabled
            rp.version = (rp.version or 1) + 1
        self.invalidate(client_id)

    def all(self) -> list[RelyingParty]:
        with self.db.session() as s:
            return list(s.scalars(select(RelyingParty).order_by(RelyingParty.department, RelyingParty.name)))

    def find(self, client_id: str) -> RelyingParty | None:
        with self.db.session() as s:
            return s.scalar(select(RelyingParty).where(RelyingParty.client_id == client_id))
