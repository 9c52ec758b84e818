"""Chinese identity numbers: check characters, validity and masking (stdlib only).

* Citizen ID number, GB 11643-1999 (ISO 7064 MOD 11-2), with birth-date and address-code checks.
* Unified social credit code (USCC), GB 32100-2015, with the embedded GB 11714 organisation-code check.

Both the simulator (seed validation) and the gateway (claims from upstream) use these, so a malformed
number is refused at the edge instead of becoming somebody's stable identifier.
"""

from __future__ import annotations

import datetime as _dt

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK_CHARS = "10X98765432"

# GB/T 2260 province-level prefixes; a full county list would go stale, the prefix catches typos.
PROVINCE_CODES = frozenset({
    "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37",
    "41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65",
    "71", "81", "82",
})

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # no I, O, S, V, Z
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
_ORG_VALUES = {c: i for i, c in enumerate("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ")}
_EARLIEST_BIRTH = _dt.date(1800, 1, 1)


def id_check_char(first17: str) -> str:
    """Check character of a GB 11643 ID number from its first 17 digits."""
    if len(first17) != 17 or not first17.isascii() or not first17.isdigit():
        raise ValueError("need exactly 17 ASCII digits")
    return ID_CHECK_CHARS[sum(int(c) * w for c, w in zip(first17, ID_WEIGHTS)) % 11]


def id_birth_date(s: str) -> _dt.date | None:
    """Birth date encoded in an 18-character ID number, or None if it is not a real date."""
    try:
        return _dt.date(int(s[6:10]), int(s[10:12]), int(s[12:14]))
    except ValueError:
        return None


def is_valid_address_code(code: str) -> bool:
    """Format check of a 6-digit GB/T 2260 address code (known province, non-zero prefecture)."""
    return (len(code) == 6 and code.isascii() and code.isdigit() and code[:2] in PROVINCE_CODES
            and code[2:4] != "00")


def is_valid_id_number(s: str, today: _dt.date | None = None) -> bool:
    """True for an 18-character ID number with a right check character, real birth date and address code.

    A lowercase ``x`` is refused: upstream systems normalise to ``X`` and accepting both would give one
    person two spellings of the same key.
    """
    if not isinstance(s, str) or len(s) != 18 or not s.isascii():
        return False
    if not s[:17].isdigit() or not is_valid_address_code(s[:6]):
        return False
    birth = id_birth_date(s)
    if birth is None or not _EARLIEST_BIRTH <= birth <= (today or _dt.date.today()):
        return False
    return id_check_char(s[:17]) == s[17]


def org_code_check_char(first8: str) -> str:
    """GB 11714 organisation-code check character for its first 8 characters."""
    if len(first8) != 8 or any(c not in _ORG_VALUES for c in first8):
        raise ValueError("need 8 characters from 0-9A-Z")
    value = 11 - sum(_ORG_VALUES[c] * w for c, w in zip(first8, ORG_WEIGHTS)) % 11
    return {10: "X", 11: "0"}.get(value, str(value))


def uscc_check_char(first17: str) -> str:
    """GB 32100 check character of a USCC from its first 17 characters."""
    if len(first17) != 17 or any(c not in USCC_ALPHABET for c in first17):
        raise ValueError("need 17 characters from the USCC alphabet")
    total = sum(USCC_ALPHABET.index(c) * w for c, w in zip(first17, USCC_WEIGHTS))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def is_valid_uscc(s: str) -> bool:
    """True for an 18-character USCC whose own and embedded organisation-code checks both hold."""
    if not isinstance(s, str) or len(s) != 18 or any(c not in USCC_ALPHABET for c in s):
        return False
    if not s[2:8].isdigit():  # positions 3-8: administrative division of the registering authority
        return False
    if uscc_check_char(s[:17]) != s[17]:
        return False
    return org_code_check_char(s[8:16]) == s[16]


def mask_id_number(s: str) -> str:
    """``370702199003071230`` -> ``370702********1230`` (first 6, last 4)."""
    if not s:
        return ""
    if len(s) <= 10:
        return "*" * len(s)
    return s[:6] + "*" * (len(s) - 10) + s[-4:]


def mask_mobile(s: str) -> str:
    """``13800000000`` -> ``138****0000`` (first 3, last 4)."""
    if not s:
        return ""
    if len(s) <= 7:
        return "*" * len(s)
    return s[:3] + "*" * (len(s) - 7) + s[-4:]


def mask_name(s: str) -> str:
    """``张三`` -> ``*三``, ``欧阳明明`` -> ``***明``: keep only the last character."""
    if not s:
        return ""
    if len(s) == 1:
        return "*"
    return "*" * (len(s) - 1) + s[-1]
