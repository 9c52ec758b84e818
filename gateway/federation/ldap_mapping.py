"""Turning a directory entry into gateway claims, groups and roles.

Pure functions over already-fetched data (no network), so every department's mapping quirks can be
tested and reasoned about without a server. Directories differ in attribute names, so everything
here is driven by the ``LdapDirectory`` settings (``attributes``, ``group_name_attribute``,
``group_base``, ``disabled_attribute``, ``role_groups``).
"""

from __future__ import annotations

import re
from typing import Any, Iterable, Mapping

from ldap3.utils.dn import parse_dn

from ..settings import LdapDirectory

# claim -> LDAP attribute; a directory's ``attributes`` setting overrides entries one by one.
DEFAULT_ATTRIBUTES: dict[str, str] = {
    "preferred_username": "uid",
    "name": "displayName",
    "email": "mail",
    "phone_number": "telephoneNumber",
    "title": "title",
    "department": "departmentNumber",
}
# Used when the mapped attribute is empty; only for the default mapping of ``name``.
NAME_FALLBACK_ATTRIBUTE = "cn"
ID_ATTRIBUTE = "entryUUID"  # operational: must be requested by name
MEMBER_OF = "memberOf"

Attributes = Mapping[str, list[str]]  # lower-cased attribute name -> decoded values


def attribute_map(directory: LdapDirectory) -> dict[str, str]:
    return {**DEFAULT_ATTRIBUTES, **directory.attributes}


def requested_attributes(directory: LdapDirectory) -> list[str]:
    """Everything one search must return, so a login costs one search plus one bind."""
    wanted = list(attribute_map(directory).values()) + [NAME_FALLBACK_ATTRIBUTE, ID_ATTRIBUTE]
    if directory.disabled_attribute:
        wanted.append(directory.disabled_attribute)
    if directory.group_mode == "memberOf":
        wanted.append(MEMBER_OF)
    seen: dict[str, str] = {}
    for name in wanted:
        seen.setdefault(name.lower(), name)
    return list(seen.values())


def decode_attributes(raw: Mapping[str, Iterable[bytes]]) -> dict[str, list[str]]:
    """ldap3 raw values -> str, keyed case-insensitively (servers echo names in their own case)."""
    decoded: dict[str, list[str]] = {}
    for name, values in raw.items():
        decoded.setdefault(name.lower(), []).extend(
            v.decode("utf-8", "replace") if isinstance(v, (bytes, bytearray)) else str(v) for v in values)
    return decoded


def first(attrs: Attributes, name: str) -> str | None:
    values = attrs.get(name.lower()) or []
    for value in values:
        if value.strip():
            return value.strip()
    return None


def is_disabled(directory: LdapDirectory, attrs: Attributes) -> bool:
    """Present and not explicitly false: covers pwdAccountLockedTime (any timestamp) and
    nsAccountLock=true alike. A ppolicy lock with a lockout duration that has expired still counts
    as locked here; such directories should rely on ppolicy itself refusing the bind."""
    if not directory.disabled_attribute:
        return False
    values = attrs.get(directory.disabled_attribute.lower()) or []
    return any(v.strip().lower() not in ("", "false", "0", "no") for v in values)


def upstream_id(attrs: Attributes, dn: str) -> str:
    """entryUUID survives renames and moves; the DN is the fallback for directories without it."""
    return first(attrs, ID_ATTRIBUTE) or dn.lower()


def claims_from_entry(directory: LdapDirectory, attrs: Attributes, groups: list[str]) -> dict[str, Any]:
    claims: dict[str, Any] = {}
    mapping = attribute_map(directory)
    for claim, attribute in mapping.items():
        value = first(attrs, attribute)
        if value is None and claim == "name" and "name" not in directory.attributes:
            value = first(attrs, NAME_FALLBACK_ATTRIBUTE)
        if value is not None:
            claims[claim] = value
    claims.setdefault("department", directory.department)
    claims["groups"] = list(groups)
    claims["cn_user_type"] = "staff"
    claims["department_name"] = directory.department
    return claims


_DN_ESCAPE = re.compile(r"\\([0-9a-fA-F]{2}|.)")


def _unescape_dn_value(value: str) -> str:
    def repl(m: re.Match) -> str:
        s = m.group(1)
        return chr(int(s, 16)) if len(s) == 2 else s
    return _DN_ESCAPE.sub(repl, value)


def _under(dn: str, base: str) -> bool:
    if not base:
        return True
    norm = lambda s: ",".join(part.strip() for part in s.lower().split(","))  # noqa: E731
    dn_n, base_n = norm(dn), norm(base)
    return dn_n == base_n or dn_n.endswith("," + base_n)


def group_name(dn: str, name_attribute: str) -> str | None:
    """``cn=rsj-staff,ou=groups,...`` -> ``rsj-staff`` (the first RDN of ``name_attribute``)."""
    try:
        rdns = parse_dn(dn)
    except Exception:  # a malformed DN from the directory is skipped, not fatal
        return None
    for attr, value, _sep in rdns:
        if attr.lower() == name_attribute.lower():
            return _unescape_dn_value(value)
    return _unescape_dn_value(rdns[0][1]) if rdns else None


def groups_from_dns(directory: LdapDirectory, dns: Iterable[str]) -> list[str]:
    """Group names from memberOf values, limited to ``group_base`` when one is configured."""
    names = {group_name(dn, directory.group_name_attribute) for dn in dns if _under(dn, directory.group_base)}
    return sorted(n for n in names if n)


def roles_for(directory: LdapDirectory, groups: Iterable[str]) -> tuple[str, ...]:
    """Gateway roles granted by group membership (group names compare case-insensitively, as LDAP does)."""
    by_group = {g.lower(): role for g, role in directory.role_groups.items()}
    return tuple(sorted({by_group[g.lower()] for g in groups if g.lower() in by_group}))
