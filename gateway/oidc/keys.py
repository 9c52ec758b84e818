"""Signing keys: generated here, private halves encrypted at rest, rotated by command.

One active key per algorithm (ES256 signs access tokens by default, RS256 id_tokens). Rotation
publishes the new key in JWKS at once but signs with it only after ``publish_delay`` seconds
(``not_before``), so every relying party that caches JWKS (and refetches at most once a minute on
an unknown ``kid``) can know a key before the first token signed with it arrives. The old key keeps
signing until then, becomes *retiring*, stays in JWKS until every token it signed has expired
(``retire_after``), and is then *retired* and leaves JWKS.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from typing import Callable

from joserfc.jwk import ECKey, KeySet, RSAKey
from sqlalchemy import select

from ..crypto import FieldCipher
from ..db import Database
from .models import SigningKey

ALGS = ("RS256", "ES256")


class NoSigningKey(RuntimeError):
    """No active key for an algorithm: run ``flask --app wsgi keys rotate``."""


def _generate(alg: str, kid: str):
    params = {"kid": kid, "alg": alg, "use": "sig"}
    if alg == "RS256":
        return RSAKey.generate_key(2048, parameters=params, private=True)
    if alg == "ES256":
        return ECKey.generate_key("P-256", parameters=params, private=True)
    raise ValueError(alg)


class KeyRing:
    """Per-process cache of the signing keys, reloaded from SQL every ``refresh`` seconds."""

    def __init__(self, db: Database, cipher: FieldCipher, refresh: float = 30.0,
                 clock: Callable[[], float] = time.time):
        self.db, self.cipher, self.refresh, self.clock = db, cipher, refresh, clock
        self._lock = threading.Lock()
        self._loaded_at = -1e18
        self._active: dict[str, object] = {}
        self._jwks: dict = {"keys": []}
        self._jwks_json = b'{"keys":[]}'
        self._public = KeySet([])
        self._next_change = float("inf")

    def _load(self) -> None:
        now = self.clock()
        with self.db.session() as s:
            rows = s.scalars(select(SigningKey).where(SigningKey.state != "retired")).all()
        active, public = {}, []
        for row in rows:
            if row.state == "retiring" and row.retire_after and row.retire_after < now:
                continue
            public.append(row.public_jwk)
            signs = (row.state == "active" and (row.not_before or 0) <= now) or \
                (row.state == "retiring" and (row.retiring_at or 0) > now)
            if signs:
                prev = active.get(row.alg)
                if prev is None or prev[0] < row.created_at:
                    active[row.alg] = (row.created_at, row)
        active = {alg: (created, self._private(row)) for alg, (created, row) in active.items()}
        self._active = {alg: key for alg, (_, key) in active.items()}
        pending = [r.not_before for r in rows if r.state == "active" and (r.not_before or 0) > now]
        self._next_change = min(pending) if pending else float("inf")
        self._jwks = {"keys": public}
        self._jwks_json = json.dumps(self._jwks, separators=(",", ":")).encode()
        self._public = KeySet.import_key_set(self._jwks) if public else KeySet([])
        self._loaded_at = now

    def _private(self, row: SigningKey):
        pem = self.cipher.decrypt(row.private_enc, context=f"signing-key:{row.kid}")
        cls = RSAKey if row.alg == "RS256" else ECKey
        return cls.import_key(pem, parameters={"kid": row.kid, "alg": row.alg, "use": "sig"})

    def next_change(self) -> float:
        """When the signing key changes next (a pending key takes over); +inf if none is pending."""
        return self._next_change

    def _fresh(self) -> None:
        now = self.clock()
        if now - self._loaded_at > self.refresh or now >= self._next_change:
            with self._lock:
                now = self.clock()
                if now - self._loaded_at > self.refresh or now >= self._next_change:
                    self._load()

    def invalidate(self) -> None:
        self._loaded_at = -1e18

    def signing_key(self, alg: str):
        self._fresh()
        try:
            return self._active[alg]
        except KeyError:
            raise NoSigningKey(f"no active {alg} signing key; run 'flask --app wsgi keys rotate'") from None

    def jwks(self) -> dict:
        self._fresh()
        return self._jwks

    def jwks_json(self) -> bytes:
        self._fresh()
        return self._jwks_json

    def public_keys(self) -> KeySet:
        self._fresh()
        return self._public

    # Administration ---------------------------------------------------------------------------
    def rotate(self, retire_after_seconds: int, algs: tuple[str, ...] = ALGS, publish_delay: int = 0) -> list[str]:
        """Create a new key per algorithm, published now and signing after ``publish_delay``;
        current keys keep signing until then and become retiring. Returns the new kids."""
        now = int(self.clock())
        takeover = now + publish_delay
        kids = []
        with self.db.session() as s:
            for alg in algs:
                for old in s.scalars(select(SigningKey).where(SigningKey.alg == alg,
                                                              SigningKey.state == "active")):
                    old.state = "retiring"
                    old.retiring_at = max(takeover, old.not_before or 0)
                    old.retire_after = old.retiring_at + retire_after_seconds
                kid = f"{alg.lower()}-{time.strftime('%Y%m%d', time.gmtime(now))}-{secrets.token_hex(4)}"
                key = _generate(alg, kid)
                s.add(SigningKey(
                    kid=kid, alg=alg,
                    private_enc=self.cipher.encrypt(key.as_pem(private=True), context=f"signing-key:{kid}"),
                    public_jwk=key.as_dict(private=False), state="active", created_at=now, not_before=takeover))
                kids.append(kid)
            for stale in s.scalars(select(SigningKey).where(SigningKey.state == "retiring",
                                                            SigningKey.retire_after < now)):
                stale.state = "retired"
        self.invalidate()
        return kids

    def ensure(self, retire_after_seconds: int) -> list[str]:
        """Create keys only for algorithms that have no active key (first start, tests)."""
        with self.db.session() as s:
            have = set(s.scalars(select(SigningKey.alg).where(SigningKey.state == "active")))
        missing = tuple(a for a in ALGS if a not in have)
        return self.rotate(retire_after_seconds, missing) if missing else []

    def listing(self) -> list[dict]:
        now = self.clock()
        with self.db.session() as s:
            rows = s.scalars(select(SigningKey).order_by(SigningKey.created_at)).all()
            out = []
            for r in rows:
                state = r.state
                if state == "retiring" and r.retire_after and r.retire_after < now:
                    state = "retired"
                elif state == "active" and (r.not_before or 0) > now:
                    state = "published"  # in JWKS, not signing yet
                elif state == "retiring" and (r.retiring_at or 0) > now:
                    state = "active"  # still signing until its successor takes over
                out.append({"kid": r.kid, "alg": r.alg, "state": state, "created_at": r.created_at,
                            "not_before": r.not_before, "retire_after": r.retire_after})
        return out
