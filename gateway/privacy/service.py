"""What a citizen can see and do about their data: overview, withdrawal, export."""

from __future__ import annotations

import time

from ..federation.cnid import mask_id_number, mask_mobile
from ..registry.policy import label
from ..sessions.stores import withdrawn_key


def identity_overview(svc, user_id: str, identity_id: int | None) -> dict:
    """The person as the gateway holds them, masked (the full numbers are never shown here)."""
    claims = svc.identities.claims(user_id, identity_id)
    number, phone = claims.get("cn_id_number"), claims.get("phone_number")
    linked = [{"connector": fi.connector, "name": fi.display_name, "id_number_masked": fi.id_number_masked,
               "acr": fi.acr, "updated_at": fi.updated_at} for fi in svc.identities.identities_of(user_id)]
    return {"name": claims.get("name"), "user_type": claims.get("cn_user_type"),
            "id_number_masked": claims.get("cn_id_number_masked") or (mask_id_number(number) if number else None),
            "phone_masked": claims.get("phone_number_masked") or (mask_mobile(phone) if phone else None),
            "email": claims.get("email"), "corp": claims.get("corp"), "linked": linked}


def portals(svc, user_id: str) -> list[dict]:
    """Each portal with an active consent: what it may receive and why."""
    out = []
    for consent in svc.consents.for_user(user_id):
        client = svc.clients.get(consent.client_id)
        if client is None:
            continue
        policy = client.release_policy
        out.append({"client_id": client.client_id, "name": client.name, "department": client.department,
                    "granted_at": consent.granted_at, "expires_at": consent.expires_at,
                    "consented": [{"claim": c, "label": label(c), "purpose": policy[c]["purpose"]}
                                  for c in consent.claims if c in policy],
                    "statutory": [{"claim": c, "label": label(c), "purpose": r["purpose"]}
                                  for c, r in sorted(policy.items()) if r["basis"] == "statutory"]})
    return out


def withdraw(svc, user_id: str, client_id: str) -> bool:
    """Withdraw consent with immediate effect: tokens revoked, the portal told to log the person out."""
    if not svc.consents.withdraw(user_id, client_id):
        return False
    svc.redis.set(withdrawn_key(user_id, client_id), str(int(time.time())),
                  ex=max(svc.settings.tokens.access_token_lifetime, 60) + 60)
    svc.refresh_tokens.revoke_for_user(user_id, client_id)
    for record in svc.sso.for_user(user_id):
        principal = record["principal"]
        if client_id in (principal.get("rps") or {}):
            svc.single_logout.notify_client(client_id, user_id, principal["sid"], "consent_withdrawn")
    svc.audit.record("consent.withdraw", user_id=user_id, client_id=client_id)
    return True


def export(svc, user_id: str, identity_id: int | None) -> dict:
    svc.disclosures.flush()
    names = {}

    def name_of(cid):
        if cid not in names:
            client = svc.clients.get(cid)
            names[cid] = client.name if client else cid
        return names[cid]

    return {
        "exported_at": int(time.time()),
        "identity": identity_overview(svc, user_id, identity_id),
        "consents": portals(svc, user_id),
        "disclosures": [{"portal": name_of(d.client_id), "client_id": d.client_id, "channel": d.channel,
                         "claims": d.claims, "at": d.at} for d in svc.disclosures.all_for(user_id)],
        "sessions": [{"created": int(r["created"]), "last_seen": int(r["seen"]),
                      "portals": sorted(r["principal"].get("rps", {}))} for r in svc.sso.for_user(user_id)],
    }
