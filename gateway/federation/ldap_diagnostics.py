"""``flask ldap test DIRECTORY [--username U]``: is this directory usable, server by server?

Unlike the login path (which hides which server failed behind the pool), an operator needs to see
each server separately: reachable? TLS OK? does the service account bind? does the search base
exist? is this user found, with which groups? Messages never contain the bind password (it is
scrubbed even from error texts, in case a library ever echoes it).
"""

from __future__ import annotations

import time

from ldap3 import BASE, SUBTREE, SYNC, Connection
from ldap3.core.exceptions import LDAPException
from ldap3.utils.conv import escape_filter_chars

from ..settings import LdapDirectory
from . import ldap_mapping as mapping
from .ldap_pool import Seconds, describe, make_server, make_tls

Report = list[tuple[bool, str]]


def check_directory(directory: LdapDirectory, username: str | None = None) -> Report:
    """One ``(ok, message)`` line per check; ``all(ok for ok, _ in report)`` means healthy."""
    report: Report = []
    tls = make_tls(directory)
    for uri in directory.uris:
        _check_server(directory, uri, tls, username, report)
    secret = directory.bind_password
    if secret:
        report = [(ok, msg.replace(secret, "***")) for ok, msg in report]
    return report


def _check_server(directory: LdapDirectory, uri: str, tls, username: str | None, report: Report) -> None:
    server = make_server(uri, directory, tls)
    conn = Connection(server, user=directory.bind_dn or None, password=directory.bind_password or None,
                      client_strategy=SYNC, read_only=True, receive_timeout=Seconds(directory.receive_timeout),
                      raise_exceptions=False, auto_referrals=False)
    started = time.monotonic()
    try:
        conn.open()
    except (LDAPException, OSError) as exc:
        report.append((False, f"{uri}: not reachable ({describe(exc)})"))
        return
    try:
        report.append((True, f"{uri}: reachable in {(time.monotonic() - started) * 1000:.0f} ms"))
        if directory.start_tls and not server.ssl:
            if not conn.start_tls():
                report.append((False, f"{uri}: StartTLS refused ({conn.result.get('description')})"))
                return
            report.append((True, f"{uri}: StartTLS established, certificate verified"))
        who = f"service account {directory.bind_dn}" if directory.bind_dn else "anonymous bind"
        if not conn.bind():
            report.append((False, f"{uri}: {who} refused ({conn.result.get('description')})"))
            return
        report.append((True, f"{uri}: {who} OK"))
        _check_base(conn, uri, "user_base", directory.user_base, report)
        if directory.group_mode == "groupOfNames":
            _check_base(conn, uri, "group_base", directory.group_base or directory.user_base, report)
        if username:
            _check_user(conn, directory, uri, username, report)
    except (LDAPException, OSError) as exc:
        report.append((False, f"{uri}: failed during checks ({describe(exc)})"))
    finally:
        try:
            conn.unbind()
        except Exception:  # noqa: BLE001 - best effort close of a diagnostic connection
            pass


def _check_base(conn: Connection, uri: str, label: str, base: str, report: Report) -> None:
    conn.search(base, "(objectClass=*)", BASE, attributes=["1.1"])
    ok = conn.result.get("result") == 0 and bool(conn.response)
    detail = "exists" if ok else f"not found ({conn.result.get('description')})"
    report.append((ok, f"{uri}: {label} {base!r} {detail}"))


def _check_user(conn: Connection, directory: LdapDirectory, uri: str, username: str, report: Report) -> None:
    search_filter = directory.user_filter.format(username=escape_filter_chars(username))
    conn.search(directory.user_base, search_filter, SUBTREE, size_limit=2,
                attributes=mapping.requested_attributes(directory))
    entries = [r for r in conn.response or [] if r.get("type") == "searchResEntry"]
    if len(entries) != 1:
        report.append((False, f"{uri}: user {username!r}: {len(entries)} entries match {search_filter}"
                              " (exactly one is required)"))
        return
    dn = entries[0]["dn"]
    attrs = mapping.decode_attributes(entries[0].get("raw_attributes", {}))
    report.append((True, f"{uri}: user {username!r} found: {dn} (id {mapping.upstream_id(attrs, dn)})"))
    if directory.group_mode == "groupOfNames":
        conn.search(directory.group_base or directory.user_base,
                    f"(&(objectClass=groupOfNames)(member={escape_filter_chars(dn)}))", SUBTREE,
                    attributes=[directory.group_name_attribute])
        groups = sorted({mapping.group_name(r["dn"], directory.group_name_attribute) or ""
                         for r in conn.response or [] if r.get("type") == "searchResEntry"} - {""})
    else:
        groups = mapping.groups_from_dns(directory, attrs.get(mapping.MEMBER_OF.lower(), []))
    roles = mapping.roles_for(directory, groups)
    report.append((True, f"{uri}: groups {', '.join(groups) or '(none)'}; roles {', '.join(roles) or '(none)'}"))
    if mapping.is_disabled(directory, attrs):
        report.append((False, f"{uri}: user {username!r} is disabled ({directory.disabled_attribute} is set)"))
