"""Back-channel request signing of sim-tysfrz (PROVINCIAL.md §2.3, an [inference]).

``sign = lower-hex(HMAC-SM3(key=appWord, msg="&".join(f"{k}={v}" for k in sorted(params) if k != "sign")))``

Values are used raw (not URL-encoded) in the canonical string, exactly as in the worked example.
"""

from __future__ import annotations

import hmac as _hmac
from typing import Mapping

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import hmac as _chmac


def canonical_string(params: Mapping[str, str]) -> str:
    """The string that is signed: ``k=v`` pairs sorted by key, ``sign`` left out, joined with ``&``."""
    return "&".join(f"{k}={params[k]}" for k in sorted(params) if k != "sign")


def hmac_sm3_hex(key: str, message: str) -> str:
    mac = _chmac.HMAC(key.encode("utf-8"), hashes.SM3())
    mac.update(message.encode("utf-8"))
    return mac.finalize().hex()


def sign(params: Mapping[str, str], app_word: str) -> str:
    return hmac_sm3_hex(app_word, canonical_string(params))


def verify(params: Mapping[str, str], app_word: str) -> bool:
    """Constant-time comparison, so the signature can't be guessed byte by byte."""
    given = str(params.get("sign", "")).lower()
    # bytes, not str: compare_digest raises TypeError on non-ASCII str (a 500 on bad input)
    return _hmac.compare_digest(given.encode(), sign(params, app_word).encode())


def sm3_hex(text: str) -> str:
    """Plain SM3, used for the simulated national ``certKey`` hash."""
    digest = hashes.Hash(hashes.SM3())
    digest.update(text.encode("utf-8"))
    return digest.finalize().hex()
