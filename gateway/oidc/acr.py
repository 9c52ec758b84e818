"""Assurance levels: ``urn:sd:tysfrz:loa:0..3`` from the provincial real-name levels."""

from __future__ import annotations

PREFIX = "urn:sd:tysfrz:loa:"
ACR_VALUES = tuple(f"{PREFIX}{n}" for n in range(4))
STAFF_ACR = "urn:weifang:gateway:loa:staff"
LOCAL_ACR = "urn:weifang:gateway:loa:local"


def level_of(acr: str | None) -> int:
    """Numeric level of an acr; staff and local logins count as level 2 (verified by the employer)."""
    if acr and acr.startswith(PREFIX) and acr[len(PREFIX):].isdigit():
        return int(acr[len(PREFIX):])
    if acr in (STAFF_ACR,):
        return 2
    return 0


def requested_level(acr_values: str | None) -> int | None:
    """The lowest level among the requested acr_values that we understand (the RP accepts any)."""
    levels = [int(v[len(PREFIX):]) for v in (acr_values or "").split()
              if v.startswith(PREFIX) and v[len(PREFIX):].isdigit() and 0 <= int(v[len(PREFIX):]) <= 3]
    return min(levels) if levels else None
