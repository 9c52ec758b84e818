"""Which claims a relying party receives, by scope and by its release policy.

Minimal disclosure by default: the ID number and the mobile are released masked; the full values
only to a relying party whose release policy names them (a recorded legal basis).
"""

from __future__ import annotations

from typing import Any

from authlib.oauth2.rfc6749 import scope_to_list

from ..federation.cnid import mask_id_number, mask_mobile

SCOPE_CLAIMS: dict[str, tuple[str, ...]] = {
    "profile": ("name", "preferred_username", "cn_user_type"),
    "email": ("email",),
    "phone": ("phone_number",),
    "cn_id": ("cn_id_number",),
    "corp": ("corp",),
    "staff": ("department", "department_name", "title", "groups"),
}
SCOPES_SUPPORTED = ("openid", "offline_access", *SCOPE_CLAIMS)
CLAIMS_SUPPORTED = ("sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "acr", "amr", "azp", "sid",
                    "name", "preferred_username", "email", "phone_number", "phone_number_masked",
                    "cn_id_number", "cn_id_number_masked", "cn_user_type", "corp", "department",
                    "department_name", "title", "groups")
# Released in full only when the client's release policy names them.
SENSITIVE = {"cn_id_number", "phone_number"}


def release(claims: dict[str, Any], scope: str, client) -> dict[str, Any]:
    """Filter a user's full claims down to what this client may see for this scope."""
    policy = getattr(client, "release_policy", {}) or {}
    out: dict[str, Any] = {}
    for s in scope_to_list(scope or ""):
        for name in SCOPE_CLAIMS.get(s, ()):
            if name == "cn_id_number":
                number = claims.get("cn_id_number")
                masked = claims.get("cn_id_number_masked") or (mask_id_number(number) if number else None)
                if masked:
                    out["cn_id_number_masked"] = masked
                if number and "cn_id_number" in policy:
                    out["cn_id_number"] = number
            elif name == "phone_number":
                phone = claims.get("phone_number")
                if phone and "phone_number" in policy:
                    out["phone_number"] = phone
                elif phone or claims.get("phone_number_masked"):
                    out["phone_number_masked"] = claims.get("phone_number_masked") or mask_mobile(phone)
            elif name in claims and claims[name] not in (None, "", [], {}):
                out[name] = claims[name]
    return out
