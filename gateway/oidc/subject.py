"""Subject identifiers: public (the internal user id) or pairwise per sector (OIDC Core §8.1).

Pairwise values are an HMAC of the internal id and the sector, so portals in different sectors
cannot correlate a citizen, and nothing about the ID number leaks (the internal id is a random
UUID, never derived from personal data).
"""

from __future__ import annotations

import base64
import hashlib
import hmac


def subject_for(user_id: str, client, key: bytes) -> str:
    if getattr(client, "subject_type", "public") != "pairwise":
        return user_id
    digest = hmac.new(key, f"{client.sector_identifier}|{user_id}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:24]).decode().rstrip("=")
