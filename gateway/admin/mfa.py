"""TOTP second factor for admins (RFC 6238 via ``cryptography``), QR enrolment, recovery codes.

The secret is encrypted at rest; a code is accepted once (the last used time step is stored);
recovery codes are random, shown once and stored only as keyed hashes, each usable once.
"""

from __future__ import annotations

import base64
import secrets
import time
from typing import Callable

import segno
from cryptography.hazmat.primitives.hashes import SHA1
from cryptography.hazmat.primitives.twofactor.totp import TOTP

from ..crypto import FieldCipher, constant_time_equal, keyed_hash
from ..db import Database
from .models import AdminMfa

STEP = 30
DIGITS = 6
WINDOW = 1  # accept the previous and the next step too (clock drift)
RECOVERY_CODES = 10


def _totp(secret: bytes) -> TOTP:
    # SHA-1 and 6 digits: what every authenticator app implements (RFC 6238 defaults).
    return TOTP(secret, DIGITS, SHA1(), STEP, enforce_key_length=True)


def qr_data_uri(uri: str) -> str:
    """An SVG QR code as a data: URI (allowed by the CSP's img-src; no script needed)."""
    return segno.make(uri, error="m").svg_data_uri(scale=5, dark="#1d2733")


def _normalise(code: str) -> str:
    return "".join(c for c in (code or "") if c.isalnum()).lower()


class MfaStore:
    def __init__(self, db: Database, cipher: FieldCipher, hash_key: bytes, issuer: str,
                 clock: Callable[[], float] = time.time):
        self.db, self.cipher, self.hash_key, self.issuer, self.clock = db, cipher, hash_key, issuer, clock

    def _secret(self, row: AdminMfa) -> bytes:
        return self.cipher.decrypt(row.secret_enc, context=f"admin-totp:{row.user_id}")

    def enrolled(self, user_id: str) -> bool:
        with self.db.session() as s:
            row = s.get(AdminMfa, user_id)
            return row is not None and row.confirmed_at is not None

    def begin(self, user_id: str, account_name: str) -> tuple[str, str]:
        """Start (or restart) an unconfirmed enrolment; returns (base32 secret, otpauth URI)."""
        with self.db.session() as s:
            row = s.get(AdminMfa, user_id)
            if row is not None and row.confirmed_at is not None:
                raise ValueError("already enrolled")
            if row is None:
                secret = secrets.token_bytes(20)
                row = AdminMfa(user_id=user_id, secret_enc=self.cipher.encrypt(secret, context=f"admin-totp:{user_id}"),
                               last_step=0, recovery_hashes=[], created_at=int(self.clock()))
                s.add(row)
            else:
                secret = self._secret(row)
        uri = _totp(secret).get_provisioning_uri(account_name, self.issuer)
        return base64.b32encode(secret).decode().rstrip("="), uri

    def _check(self, row: AdminMfa, code: str) -> bool:
        code = "".join(c for c in (code or "") if c.isdigit())
        if len(code) != DIGITS:
            return False
        totp, now = _totp(self._secret(row)), self.clock()
        current = int(now // STEP)
        for step in range(current - WINDOW, current + WINDOW + 1):
            if step > (row.last_step or 0) and constant_time_equal(totp.generate(step * STEP).decode(), code):
                row.last_step = step
                return True
        return False

    def confirm(self, user_id: str, code: str) -> list[str] | None:
        """Finish enrolment with a first valid code; returns the recovery codes (shown once)."""
        with self.db.session() as s:
            row = s.get(AdminMfa, user_id)
            if row is None or row.confirmed_at is not None or not self._check(row, code):
                return None
            codes = [f"{secrets.token_hex(4)}-{secrets.token_hex(4)}" for _ in range(RECOVERY_CODES)]
            row.recovery_hashes = [keyed_hash(self.hash_key, _normalise(c)) for c in codes]
            row.confirmed_at = int(self.clock())
        return codes

    def verify(self, user_id: str, code: str) -> str | None:
        """"totp" or "recovery" when the code is right (and consumes it), else None."""
        with self.db.session() as s:
            row = s.get(AdminMfa, user_id)
            if row is None or row.confirmed_at is None:
                return None
            if self._check(row, code):
                return "totp"
            digest = keyed_hash(self.hash_key, _normalise(code))
            remaining = [h for h in row.recovery_hashes or [] if not constant_time_equal(h, digest)]
            if _normalise(code) and len(remaining) < len(row.recovery_hashes or []):
                row.recovery_hashes = remaining
                return "recovery"
        return None

    def reset(self, user_id: str) -> bool:
        """Remove a factor (a lost phone); the admin enrols again at the next login."""
        with self.db.session() as s:
            row = s.get(AdminMfa, user_id)
            if row is None:
                return False
            s.delete(row)
        return True

    def recovery_left(self, user_id: str) -> int:
        with self.db.session() as s:
            row = s.get(AdminMfa, user_id)
            return len(row.recovery_hashes or []) if row else 0
