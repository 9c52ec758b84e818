"""Small cryptographic helpers: field encryption at rest and keyed hashes.

Field encryption uses SM4-GCM when the ``cryptography`` build offers it (GB/T 39786 asks for
commercial cryptography for important data at rest) and AES-256-GCM otherwise. A ciphertext
records which algorithm and key produced it, so keys and algorithms can be rotated without a
flag day: ``<alg>:<key id>:<base64 nonce+ciphertext>``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF


class DecryptionError(ValueError):
    """A ciphertext could not be decrypted with the configured keys."""


def _sm4_gcm_available() -> bool:
    try:
        key, nonce = os.urandom(16), os.urandom(12)
        enc = Cipher(algorithms.SM4(key), modes.GCM(nonce)).encryptor()
        enc.update(b"x")
        enc.finalize()
        return True
    except Exception:  # UnsupportedAlgorithm or missing attribute on older builds
        return False


SM4_GCM = _sm4_gcm_available()


def derive_key(master: bytes, label: str, length: int = 32) -> bytes:
    """Derive an independent subkey so one configured secret never serves two purposes."""
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=None, info=label.encode()).derive(master)


def key_id(key: bytes) -> str:
    return hashlib.sha256(b"gw-key-id" + key).hexdigest()[:8]


class FieldCipher:
    """Authenticated encryption of small values (ID numbers, mobiles, private keys)."""

    def __init__(self, data_key_b64: str, old_keys_b64: tuple[str, ...] = ()):
        master = base64.b64decode(data_key_b64)
        self._current = derive_key(master, "gateway field encryption")
        self._keys = {key_id(self._current): self._current}
        for old in old_keys_b64:
            k = derive_key(base64.b64decode(old), "gateway field encryption")
            self._keys[key_id(k)] = k

    def encrypt(self, plaintext: str | bytes, context: str = "") -> str:
        data = plaintext.encode() if isinstance(plaintext, str) else plaintext
        nonce = os.urandom(12)
        aad = context.encode()
        if SM4_GCM:
            alg = "sm4gcm"
            enc = Cipher(algorithms.SM4(self._current[:16]), modes.GCM(nonce)).encryptor()
            enc.authenticate_additional_data(aad)
            body = enc.update(data) + enc.finalize() + enc.tag
        else:
            alg = "aesgcm"
            body = AESGCM(self._current).encrypt(nonce, data, aad)
        return f"{alg}:{key_id(self._current)}:{base64.b64encode(nonce + body).decode()}"

    def decrypt(self, token: str, context: str = "") -> bytes:
        try:
            alg, kid, b64 = token.split(":", 2)
            key = self._keys[kid]
            raw = base64.b64decode(b64)
            nonce, body = raw[:12], raw[12:]
            if alg == "sm4gcm":
                dec = Cipher(algorithms.SM4(key[:16]), modes.GCM(nonce, body[-16:])).decryptor()
                dec.authenticate_additional_data(context.encode())
                return dec.update(body[:-16]) + dec.finalize()
            if alg == "aesgcm":
                return AESGCM(key).decrypt(nonce, body, context.encode())
        except (ValueError, KeyError, InvalidTag) as exc:
            raise DecryptionError("cannot decrypt field") from exc
        raise DecryptionError(f"unknown algorithm {alg!r}")

    def decrypt_str(self, token: str | None, context: str = "") -> str | None:
        return None if token is None else self.decrypt(token, context).decode()

    def needs_reencryption(self, token: str) -> bool:
        return not token.startswith(("sm4gcm:" if SM4_GCM else "aesgcm:") + key_id(self._current) + ":")


def keyed_hash(key: bytes, value: str) -> str:
    """HMAC-SHA256, hex. For 256-bit random secrets a fast keyed hash is enough (no brute force)."""
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()


def constant_time_equal(a: str, b: str) -> bool:
    return secrets.compare_digest(a.encode(), b.encode())


def random_token(nbytes: int = 32) -> str:
    return secrets.token_urlsafe(nbytes)
