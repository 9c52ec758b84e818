"""Re-encrypt everything stored under an old ``data_key`` with the current one.

After a ``data_key`` rotation (old key listed in ``old_data_keys``) run
``flask --app wsgi data reencrypt``; when it reports nothing left under an old key, the old key can
be removed from the configuration. Each ciphertext names its key, so the command is idempotent and
can be run while the gateway serves.
"""

from __future__ import annotations

from typing import Callable, Iterable

from sqlalchemy import select

from .account.models import FederatedIdentity
from .admin.models import AdminMfa, RegistrationRequest
from .oidc.models import SigningKey

# (model, column, context of each row) for every encrypted column
ENCRYPTED: tuple[tuple[type, str, Callable], ...] = (
    (FederatedIdentity, "claims_enc", lambda r: f"identity:{r.connector}|{r.upstream_id}"),
    (SigningKey, "private_enc", lambda r: f"signing-key:{r.kid}"),
    (AdminMfa, "secret_enc", lambda r: f"admin-totp:{r.user_id}"),
    (RegistrationRequest, "secret_enc", lambda r: f"registration-request:{r.id}"),
)


def reencrypt(db, cipher, batch: int = 500) -> dict[str, int]:
    """Returns, per table, how many values were re-encrypted."""
    counts: dict[str, int] = {}
    for model, column, context in ENCRYPTED:
        done = 0
        with db.session() as s:
            rows: Iterable = s.scalars(select(model)).all()
            for row in rows:
                value = getattr(row, column)
                if value and cipher.needs_reencryption(value):
                    plain = cipher.decrypt(value, context=context(row))
                    setattr(row, column, cipher.encrypt(plain, context=context(row)))
                    done += 1
                    if done % batch == 0:
                        s.flush()
        counts[model.__tablename__] = done
    return counts


def remaining(db, cipher) -> int:
    """How many values are still under an old key."""
    left = 0
    with db.session() as s:
        for model, column, _ in ENCRYPTED:
            left += sum(1 for v in s.scalars(select(getattr(model, column))) if v and cipher.needs_reencryption(v))
    return left
