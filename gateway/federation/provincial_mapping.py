"""Provincial user info (PROVINCIAL.md §2.5) -> the gateway's normalised ``Identity`` (§2.9)."""

from __future__ import annotations

from typing import Any

from .base import ConnectorError, Identity
from .cnid import is_valid_id_number, is_valid_uscc, mask_id_number

CONNECTOR = "provincial"
ACR_PREFIX = "urn:sd:tysfrz:loa:"
ROLES = {"1": "legal_representative", "2": "admin", "3": "agent"}
CORP_TYPES = {"1": "enterprise", "2": "individual_business", "3": "farmer_cooperative",
              "4": "public_institution", "5": "social_organization", "9": "other"}
KNOWN_AMR = ("pwd", "sms", "face", "alipay", "ctid", "hwk", "ebl")


def map_user_info(data: dict[str, Any], auth_time: int) -> Identity:
    """Map one getUserInfo ``data`` document. Raises ConnectorError on an unusable document.

    A full ID number that fails GB 11643 is refused rather than stored: it would become a wrong
    key for every relying party that receives it.
    """
    user_id = str(data.get("userId") or "")
    if not user_id:
        raise ConnectorError("provincial.bad_response", "user info without userId")
    legal = str(data.get("userType", "1")) == "2"
    claims: dict[str, Any] = {"cn_user_type": "legal" if legal else "natural"}
    if data.get("name"):
        claims["name"] = data["name"]
    if data.get("mobile"):
        claims["phone_number"] = data["mobile"]
    id_number = data.get("idNumber")
    if id_number:
        if not is_valid_id_number(str(id_number)):
            raise ConnectorError("provincial.invalid_id", "upstream sent an invalid ID number")
        claims["cn_id_number"] = id_number
    masked = data.get("idNumberMasked") or (mask_id_number(id_number) if id_number else None)
    if masked:
        claims["cn_id_number_masked"] = masked
    corp = data.get("corp")
    if legal:
        if not isinstance(corp, dict) or not corp.get("uscc"):
            raise ConnectorError("provincial.bad_response", "legal-person user info without corp")
        if not is_valid_uscc(str(corp["uscc"])):
            raise ConnectorError("provincial.invalid_id", "upstream sent an invalid USCC")
        role = ROLES.get(str(data.get("accountRole", "")), "agent")
        claims["corp"] = {"uscc": corp["uscc"], "name": corp.get("corpName", ""), "role": role,
                          "corp_type": CORP_TYPES.get(str(corp.get("corpType", "")), "other"),
                          "agent": role != "legal_representative"}
    level = str(data.get("authLevel", "0"))
    amr = tuple(m for m in data.get("authMethods") or () if m in KNOWN_AMR)
    session = {"session_index": data["sessionIndex"]} if data.get("sessionIndex") else {}
    return Identity(connector=CONNECTOR, upstream_id=user_id, claims=claims, auth_time=int(auth_time),
                    amr=amr, acr=f"{ACR_PREFIX}{level}", user_type="legal" if legal else "natural",
                    upstream_session=session)
