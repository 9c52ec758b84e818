"""Which claims a relying party receives: its release policy, the scopes it asked for, and — for
consent-based claims — what the person agreed to. Nothing outside the policy is ever released.

Minimal disclosure by default: ID number and mobile masked; full values only for a policy that
names them; ``cn_id_number_hash`` (a keyed hash per sector) lets a portal match a person without
receiving the number.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Any

from ..federation.cnid import mask_id_number, mask_mobile
from ..registry.policy import DEFAULT_FOR_SCOPE, requested

SCOPE_CLAIMS: dict[str, tuple[str, ...]] = DEFAULT_FOR_SCOPE
# admin:* scopes: the admin API (gateway/admin/api.py); granted to client_credentials clients only.
# gateway:introspect: registered on resource servers that may introspect any client's tokens.
SCOPES_SUPPORTED = ("openid", "offline_access", *SCOPE_CLAIMS, "gateway:introspect",
                    "admin:system", "admin:security", "admin:audit")
CLAIMS_SUPPORTED = ("sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "acr", "amr", "azp", "sid",
                    "name", "preferred_username", "email", "phone_number", "phone_number_masked",
                    "cn_id_number", "cn_id_number_masked", "cn_id_number_hash", "cn_user_type", "corp",
                    "department", "department_name", "title", "groups")


def _value(claim: str, claims: dict[str, Any], client, hash_key: bytes):
    number = claims.get("cn_id_number")
    if claim == "cn_id_number_masked":
        return claims.get("cn_id_number_masked") or (mask_id_number(number) if number else None)
    if claim == "cn_id_number_hash":
        if not number:
            return None
        digest = hmac.new(hash_key, f"{client.sector_identifier}|{number.upper()}".encode(), hashlib.sha256)
        return base64.urlsafe_b64encode(digest.digest()).decode().rstrip("=")
    if claim == "phone_number_masked":
        phone = claims.get("phone_number")
        return claims.get("phone_number_masked") or (mask_mobile(phone) if phone else None)
    return claims.get(claim)


def release(claims: dict[str, Any], scope: str, client, granted: set[str] | None = None,
            hash_key: bytes = b"") -> tuple[dict[str, Any], dict[str, str]]:
    """(released claims, basis per released claim). ``granted``: consent-based claims agreed to."""
    out, bases = {}, {}
    for claim, rule in requested(client.release_policy, scope or "").items():
        if rule["basis"] == "consent" and (granted is None or claim not in granted):
            continue
        value = _value(claim, claims, client, hash_key)
        if value in (None, "", [], {}):
            continue
        out[claim], bases[claim] = value, rule["basis"]
    return out, bases
