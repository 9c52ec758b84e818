"""Directory settings the LDAP tests use: the two seeded departments, overridable per test."""

from __future__ import annotations

import dataclasses

from gateway.settings import LdapDirectory
from tests.services.slapd import BASE, SERVICE_DN, SERVICE_PW

RSJ = "市人力资源和社会保障局"
SCJG = "市市场监督管理局"


def rsj_directory(uris, **overrides) -> LdapDirectory:
    """市人社局: memberOf groups, gateway-admins -> admin role."""
    base = LdapDirectory(
        name="rsj", display_name="市人社局", department=RSJ, uris=tuple(uris), bind_dn=SERVICE_DN,
        bind_password=SERVICE_PW, user_base=f"ou=rsj,{BASE}", group_base=f"ou=groups,{BASE}",
        connect_timeout=1.0, receive_timeout=2.0,
        role_groups={"gateway-admins": "admin", "rsj-staff": "staff"})
    return dataclasses.replace(base, **overrides)


def scjg_directory(uris, **overrides) -> LdapDirectory:
    """市市场监管局: groupOfNames search instead of memberOf."""
    base = LdapDirectory(
        name="scjg", display_name="市市场监管局", department=SCJG, uris=tuple(uris), bind_dn=SERVICE_DN,
        bind_password=SERVICE_PW, user_base=f"ou=scjg,{BASE}", group_mode="groupOfNames",
        group_base=f"ou=groups,{BASE}", connect_timeout=1.0, receive_timeout=2.0,
        role_groups={"scjg-staff": "staff"})
    return dataclasses.replace(base, **overrides)
