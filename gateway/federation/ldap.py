"""Department staff log in with their department's LDAP directory.

``LdapConnector.authenticate(directory, username, password)`` returns a normalised ``Identity`` or
raises a ``ConnectorError``; it never talks to Flask, sessions or tokens. One login is:

1. input checks, before any network use: an empty password would be an *unauthenticated* simple bind
   that RFC 4513 servers accept as success (the classic anonymous-bind bypass); an empty, over-long
   (>256) or control-character username is refused too;
2. one search with the service account under ``user_base`` for
   ``user_filter.format(username=<RFC 4515-escaped username>)``, size limit 2 - exactly one entry or
   ``InvalidCredentials`` (escaping makes ``*`` or ``)(|(uid=*`` plain characters, never wildcards);
3. a simple bind *as that DN with the typed password* on a short-lived connection;
4. groups (``memberOf`` from step 2, or a ``groupOfNames`` search) and the claim mapping.

Security decisions:

* **Unknown user and wrong password are indistinguishable**: same exception class and
  ``user_message`` (``login.invalid_credentials``); only ``reason`` (audit log) differs. For an
  unknown user we still perform a bind (to a DN that cannot exist) so the response time does not
  reveal whether the account exists.
* **Disabled accounts are reported only after the password was verified.** If ``disabled_attribute``
  is set on the entry (``pwdAccountLockedTime``, ``nsAccountLock: true`` ...) the login fails with
  ``ConnectorError("ldap.account_disabled")`` - but only once the bind succeeded. With a wrong
  password a disabled account answers exactly like any other wrong password, so "account disabled"
  is never an oracle for which usernames exist. (Directories running ppolicy refuse the bind of a
  locked account themselves; then the user sees "invalid credentials", which is also safe.)
* **Failures are bounded and isolated.** Each directory has its own ``DirectoryPool`` (see
  ``ldap_pool.py``): connect and receive timeouts apply to every socket, a dead server is skipped
  for a while by every login, and a down or hung directory raises ``UpstreamUnavailable`` within
  about ``connect_timeout + receive_timeout`` without touching other directories.
* Staff identities are keyed by ``("ldap:<directory>", entryUUID)``; linking to any other identity
  (e.g. a citizen account) is the account layer's explicit decision, never done here.
"""

from __future__ import annotations

import logging
import secrets
import time
from dataclasses import dataclass
from typing import Callable, NamedTuple, Sequence

from ldap3 import SUBTREE
from ldap3.utils.conv import escape_filter_chars

from ..settings import LdapDirectory
from . import ldap_mapping as mapping
from .base import ConnectorError, Identity, InvalidCredentials, UpstreamUnavailable
from .ldap_diagnostics import check_directory
from .ldap_pool import BUSY_RESULTS, UNAVAILABLE, DirectoryPool

__all__ = ["LdapConnector", "DirectoryChoice", "check_directory", "MAX_USERNAME_LENGTH", "MAX_PASSWORD_LENGTH"]

log = logging.getLogger(__name__)

MAX_USERNAME_LENGTH = 256
MAX_PASSWORD_LENGTH = 1024  # longer input is refused rather than shipped to the directory
INVALID = "login.invalid_credentials"
DISABLED = "ldap.account_disabled"
GROUP_SEARCH_LIMIT = 1000


class DirectoryChoice(NamedTuple):
    """What the login page's department selector shows (also unpacks as a 3-tuple)."""

    name: str
    display_name: str
    department: str


@dataclass(frozen=True)
class _Entry:
    dn: str
    attrs: dict[str, list[str]]


class LdapConnector:
    """All configured department directories. Thread-safe; build once per process."""

    def __init__(self, directories: Sequence[LdapDirectory], clock: Callable[[], float] = time.time):
        self._directories = {d.name: d for d in directories}
        for d in directories:
            if not d.user_base:
                raise ValueError(f"ldap directory {d.name!r}: user_base is required")
            if d.group_mode not in ("memberOf", "groupOfNames"):
                raise ValueError(f"ldap directory {d.name!r}: group_mode must be memberOf or groupOfNames")
            if d.connect_timeout <= 0 or d.receive_timeout <= 0:
                raise ValueError(f"ldap directory {d.name!r}: timeouts must be > 0 (0 would mean non-blocking)")
        self._pools = {d.name: DirectoryPool(d) for d in directories}
        self._clock = clock

    # -- configuration -------------------------------------------------------------------------
    @property
    def directories(self) -> list[DirectoryChoice]:
        return [DirectoryChoice(d.name, d.display_name, d.department) for d in self._directories.values()]

    def directory(self, name: str) -> LdapDirectory:
        """The settings of directory ``name``; ``KeyError`` if there is none."""
        return self._directories[name]

    def resolve(self, login: str, directory_name: str | None = None) -> tuple[str | None, str]:
        """Split what the user typed into (directory, username).

        ``zhangwei@rsj`` selects directory ``rsj`` when such a directory exists (split at the last
        ``@``); anything else is a plain username for ``directory_name`` (the selector's value).
        Usernames that themselves contain ``@`` (mail-style) keep working unless the text after the
        last ``@`` is exactly a directory name.
        """
        user, sep, suffix = login.rpartition("@")
        if sep and user and suffix in self._directories:
            return suffix, user
        return directory_name, login

    def close(self) -> None:
        for pool in self._pools.values():
            pool.close()

    # -- login ---------------------------------------------------------------------------------
    def authenticate(self, directory_name: str, username: str, password: str) -> Identity:
        """Verify ``username``/``password`` against directory ``directory_name``.

        Raises ``InvalidCredentials`` (unknown directory, user or wrong password - one message),
        ``ConnectorError("ldap.account_disabled")`` (right password, disabled account) or
        ``UpstreamUnavailable`` (directory down, slow or misconfigured).
        """
        username = _check_input(username, password)
        directory = self._directories.get(directory_name)
        if directory is None:
            raise InvalidCredentials(INVALID, reason=f"unknown directory {directory_name!r}")
        pool = self._pools[directory.name]

        entry = pool.with_service(lambda conn: self._find_user(conn, directory, username))
        if entry is None:
            # Same work as a real attempt, so timing does not tell "no such user" from "wrong password".
            pool.user_bind(f"uid={secrets.token_hex(16)},{directory.user_base}", password)
            raise InvalidCredentials(INVALID, reason="user not found or not unique")

        result = pool.user_bind(entry.dn, password)
        code = result.get("result")
        if code != 0:
            if code in BUSY_RESULTS:
                raise UpstreamUnavailable(UNAVAILABLE, reason=f"user bind: {BUSY_RESULTS[code]}", retryable=True)
            raise InvalidCredentials(INVALID, reason=f"bind refused: {result.get('description')} ({code})")

        if mapping.is_disabled(directory, entry.attrs):
            raise ConnectorError(DISABLED, reason=f"{directory.disabled_attribute} set on {entry.dn}")

        if directory.group_mode == "groupOfNames":
            groups = pool.with_service(lambda conn: self._group_search(conn, directory, entry.dn))
        else:
            groups = mapping.groups_from_dns(directory, entry.attrs.get(mapping.MEMBER_OF.lower(), []))
        claims = mapping.claims_from_entry(directory, entry.attrs, groups)
        log.info("ldap %s: authenticated %s", directory.name, entry.dn)
        return Identity(
            connector=f"ldap:{directory.name}",
            upstream_id=mapping.upstream_id(entry.attrs, entry.dn),
            claims=claims,
            auth_time=int(self._clock()),
            amr=("pwd",),
            acr=directory.acr,
            user_type="staff",
            roles=mapping.roles_for(directory, groups),
            upstream_session={"dn": entry.dn},
        )

    # -- directory operations (run on a service connection) --------------------------------------
    @staticmethod
    def _find_user(conn, directory: LdapDirectory, username: str) -> _Entry | None:
        search_filter = directory.user_filter.format(username=escape_filter_chars(username))
        conn.search(directory.user_base, search_filter, SUBTREE, size_limit=2,
                    attributes=mapping.requested_attributes(directory))
        _raise_if_unavailable(conn.result, "user search")
        entries = [r for r in (conn.response or []) if r.get("type") == "searchResEntry"]
        if len(entries) != 1:
            if len(entries) > 1:
                log.warning("ldap %s: user filter matched several entries; refusing", directory.name)
            return None
        return _Entry(entries[0]["dn"], mapping.decode_attributes(entries[0].get("raw_attributes", {})))

    @staticmethod
    def _group_search(conn, directory: LdapDirectory, user_dn: str) -> list[str]:
        search_filter = f"(&(objectClass=groupOfNames)(member={escape_filter_chars(user_dn)}))"
        attribute = directory.group_name_attribute
        conn.search(directory.group_base or directory.user_base, search_filter, SUBTREE,
                    size_limit=GROUP_SEARCH_LIMIT, attributes=[attribute])
        _raise_if_unavailable(conn.result, "group search")
        names = set()
        for r in conn.response or []:
            if r.get("type") != "searchResEntry":
                continue
            value = mapping.first(mapping.decode_attributes(r.get("raw_attributes", {})), attribute)
            names.add(value or mapping.group_name(r["dn"], attribute))
        return sorted(n for n in names if n)


def _check_input(username: str, password: str) -> str:
    """Refuse what must never reach the directory; returns the username without outer blanks."""
    if not isinstance(password, str) or password == "":
        raise InvalidCredentials(INVALID, reason="empty password refused (unauthenticated bind)")
    if not isinstance(username, str):
        raise InvalidCredentials(INVALID, reason="username missing")
    username = username.strip()
    if not username:
        raise InvalidCredentials(INVALID, reason="empty username")
    if len(username) > MAX_USERNAME_LENGTH:
        raise InvalidCredentials(INVALID, reason="username too long")
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in username):
        raise InvalidCredentials(INVALID, reason="control character in username")
    if "\x00" in password or len(password) > MAX_PASSWORD_LENGTH:
        raise InvalidCredentials(INVALID, reason="password with NUL or over-long")
    return username


def _raise_if_unavailable(result: dict | None, what: str) -> None:
    """Search results other than success / size limit mean the directory cannot answer properly."""
    result = result or {}
    code = result.get("result")
    if code in (0, 4):  # 4 = sizeLimitExceeded: more than one match, handled by the caller
        return
    if code == 32:  # noSuchObject: the configured base does not exist
        raise UpstreamUnavailable(UNAVAILABLE, reason=f"{what}: search base does not exist")
    raise UpstreamUnavailable(UNAVAILABLE, reason=f"{what}: {result.get('description')} ({code})",
                              retryable=code in BUSY_RESULTS)
