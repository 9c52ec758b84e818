"""Signing keys: generated here, private halves encrypted at rest, rotated by command.

One active key per algorithm (ES256 signs access tokens by default, RS256 id_tokens). Rotation
makes the old key *retiring*: it stops signing but stays in JWKS until every token it signed has
expired (``retire_after``), then it becomes *retired* and leaves JWKS.
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

    def _load(self) -> None:
        now = self.clock()
        with self.db.session() as s:
            rows = s.scalars(select(SigningKey).where(SigningKey.state != "retired")).all()
        active, public = {}, []
        for row in rows:
            if row.state == "retiring" and row.retire_after and row.retire_after < now:
                continue
            public.append(row.public_jwk)
            if row.state == "active":
                pem = self.cipher.decrypt(row.private_enc, context=f"signing-key:{row.kid}")
                cls = RSAKey if row.alg == "RS256" else ECKey
                key = cls.import_key(pem, parameters={"kid": row.kid, "alg": row.alg, "use": "sig"})
                prev = active.get(row.alg)
                if prev is None or prev[0] < row.created_at:
                    active[row.alg] = (row.created_at, key)
        self._active = {alg: key for alg, (_, key) in active.items()}
        self._jwks = {"keys": public}
        self._jwks_json = json.dumps(self._jwks, separators=(",", ":")).encode()
        self._public = KeySet.import_key_set(self._jwks) if public else KeySet([])
        self._loaded_at = now

    def _fresh(self) -> None:
        if self.clock() - self._loaded_at > self.refresh:
            with self._lock:
                if self.clock() - self._loaded_at > self.refresh:
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
    def rotate(self, retire_after_seconds: int, algs: tuple[str, ...] = ALGS) -> list[str]:
        """Create a new active key per algorithm; current ones become retiring. Returns new kids."""
        now = int(self.clock())
        kids = []
        with self.db.session() as s:
            for alg in algs:
                for old in s.scalars(select(SigningKey).where(SigningKey.alg == alg,
                                                              SigningKey.state == "active")):
                    old.state = "retiring"
                    old.retiring_at = now
                    old.retire_after = now + retire_after_seconds
                kid = f"{alg.lower()}-{time.strftime('%Y%m%d', time.gmtime(now))}-{secrets.token_hex(4)}"
                key = _generate(alg, kid)
                s.add(SigningKey(
                    kid=kid, alg=alg,
                    private_enc=self.cipher.encrypt(key.as_pem(private=True), context=f"signing-key:{kid}"),
                    public_jwk=key.as_dict(private=False), state="active", created_at=now))
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
                out.append({"kid": r.kid, "alg": r.alg, "state": state, "created_at": r.created_at,
                            "retire_after": r.retire_after})
        return out
