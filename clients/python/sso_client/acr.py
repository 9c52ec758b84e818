"""Authentication context class (``acr``) comparison.

The gateway's levels are ``urn:sd:tysfrz:loa:0`` … ``urn:sd:tysfrz:loa:3`` and rank by
their number. Any other value is only ever equal to itself, unless the application
gives it a rank in ``extra_ranks`` (e.g. ``{"urn:weifang:gateway:loa:staff": 2}``, the
level the gateway itself assigns to department staff logins).
"""

from __future__ import annotations

from collections.abc import Mapping

LOA_PREFIX = "urn:sd:tysfrz:loa:"


def acr_rank(value: str | None, extra_ranks: Mapping[str, int] | None = None) -> int | None:
    """The numeric level of an acr value, or ``None`` when it has no rank."""
    if not isinstance(value, str):
        return None
    if extra_ranks and value in extra_ranks:
        return extra_ranks[value]
    if not value.startswith(LOA_PREFIX):
        return None
    level = value[len(LOA_PREFIX) :]
    return int(level) if level.isdigit() else None


def acr_satisfies(actual: str | None, required: str, extra_ranks: Mapping[str, int] | None = None) -> bool:
    """True when a session at ``actual`` meets ``required``."""
    if actual is None:
        return False
    have, need = acr_rank(actual, extra_ranks), acr_rank(required, extra_ranks)
    if have is not None and need is not None:
        return have >= need
    return actual == required


def acr_satisfies_any(actual: str | None, requested: str, extra_ranks: Mapping[str, int] | None = None) -> bool:
    """True when ``actual`` meets at least one of the space-separated ``requested`` values."""
    return any(acr_satisfies(actual, r, extra_ranks) for r in requested.split())
