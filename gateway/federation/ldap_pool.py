"""Network access to one department directory: its ldap3 ServerPool and connections.

Kept apart from ``ldap.py`` so the connector reads as policy (who may log in, what is released)
while this module owns the failure handling that makes a dead or hung directory cheap:

* one ``ServerPool`` per directory, shared by every login, so when a server is found dead it is
  skipped by *all* logins for ``EXHAUST_SECONDS`` instead of each login paying the connect timeout;
* ``active=1``: try every server once per attempt and then give up (ldap3's ``active=True`` loops
  forever, and its default 10 s pause between cycles is set to 0 below);
* a small idle list of bound service-account connections, each used by one thread at a time (ldap3
  ``SYNC`` connections are not meant to be shared), so searches skip TCP + bind;
* a stale pooled connection (closed by the server's idle timeout) is replaced once, silently; a fresh
  connection that fails marks its server down and is retried once on the next server of the pool.
"""

from __future__ import annotations

import logging
import math
import ssl
import threading
from datetime import datetime
from typing import Callable, TypeVar

from ldap3 import FIRST, NONE, ROUND_ROBIN, SYNC, Connection, Server, ServerPool, Tls
from ldap3.core.exceptions import (LDAPCommunicationError, LDAPException, LDAPServerPoolError,
                                   LDAPServerPoolExhaustedError, LDAPStartTLSError)
from ldap3.utils.config import get_config_parameter, set_config_parameter

from ..settings import LdapDirectory
from .base import UpstreamUnavailable

log = logging.getLogger(__name__)

T = TypeVar("T")

EXHAUST_SECONDS = 10  # a server found dead is not tried again for this long (by any login)
MAX_IDLE_SERVICE_CONNECTIONS = 8  # per directory; more threads open extra ones and close them after use
UNAVAILABLE = "ldap.directory_unavailable"

# Errors that mean "this server did not answer properly": worth marking it down and trying the next.
NETWORK_ERRORS: tuple[type[BaseException], ...] = (
    LDAPCommunicationError, LDAPServerPoolExhaustedError, LDAPServerPoolError, LDAPStartTLSError, OSError)
# Result codes that mean the directory is alive but cannot serve us right now.
BUSY_RESULTS = {51: "busy", 52: "unavailable", 3: "timeLimitExceeded", 11: "adminLimitExceeded"}


class Seconds(float):
    """A timeout ldap3 2.9.1 can digest: on Linux it also sets SO_RCVTIMEO with ``struct.pack('LL',
    receive_timeout, 0)``, which rejects a float such as 0.5. The socket's own timeout (``settimeout``,
    applied first) keeps the exact fractional value; the kernel option gets it rounded up."""

    def __index__(self) -> int:
        return math.ceil(self)


def _configure_ldap3() -> None:
    """ldap3 sleeps POOLING_LOOP_TIMEOUT (default 10 s) after each failed pool cycle: a hang, for us."""
    if get_config_parameter("POOLING_LOOP_TIMEOUT") != 0:
        set_config_parameter("POOLING_LOOP_TIMEOUT", 0)


def describe(exc: BaseException) -> str:
    """A one-line, password-free description of an ldap3/socket error for the audit reason."""
    text = str(exc).splitlines()[0] if str(exc) else ""
    return f"{type(exc).__name__}: {text}"[:300]


def make_tls(directory: LdapDirectory) -> Tls | None:
    """Certificate-checked TLS whenever TLS is in play (ldap3's own default does not verify)."""
    uses_ldaps = any(uri.lower().startswith("ldaps://") for uri in directory.uris)
    if not (directory.start_tls or uses_ldaps or directory.ca_file):
        return None
    return Tls(validate=ssl.CERT_REQUIRED, ca_certs_file=directory.ca_file or None)


def make_server(uri: str, directory: LdapDirectory, tls: Tls | None) -> Server:
    # get_info=NONE: no schema/rootDSE read per connection (cost), and no client-side schema check
    # that would reject attributes a given directory does not define.
    return Server(uri, use_ssl=uri.lower().startswith("ldaps://"), tls=tls, get_info=NONE,
                  connect_timeout=directory.connect_timeout)


class DirectoryPool:
    """Connections to the servers of one directory. Thread-safe."""

    def __init__(self, directory: LdapDirectory):
        _configure_ldap3()
        self.directory = directory
        tls = make_tls(directory)
        self.servers = [make_server(uri, directory, tls) for uri in directory.uris]
        strategy = ROUND_ROBIN if directory.pool_strategy == "ROUND_ROBIN" else FIRST
        self.pool = ServerPool(self.servers, pool_strategy=strategy, active=1, exhaust=EXHAUST_SECONDS)
        self._idle: list[Connection] = []
        self._lock = threading.Lock()

    # -- connections -------------------------------------------------------------------------
    def _connect(self, user: str | None, password: str | None) -> Connection:
        """Open (StartTLS if configured) and bind. Network failures raise; a refused bind returns unbound."""
        d = self.directory
        conn = Connection(self.pool, user=user, password=password, client_strategy=SYNC, read_only=True,
                          receive_timeout=Seconds(d.receive_timeout), raise_exceptions=False, auto_referrals=False,
                          check_names=True)
        try:
            conn.open()
            if d.start_tls and not conn.server.ssl and not conn.start_tls():
                raise LDAPStartTLSError(f"StartTLS refused: {conn.result.get('description')}")
            conn.bind()
        except LDAPServerPoolExhaustedError:
            self.release(conn)  # every server is already marked down
            raise
        except NETWORK_ERRORS:
            server = conn.server
            self.release(conn)
            self.mark_down(server)
            raise
        except BaseException:
            self.release(conn)
            raise
        return conn

    def release(self, conn: Connection) -> None:
        """Unbind and forget ``conn``; ldap3 pools keep a reference to every connection otherwise."""
        try:
            if not conn.closed:
                conn.unbind()
        except Exception:  # closing a broken socket must never mask the real outcome
            log.debug("ldap %s: error while closing a connection", self.directory.name, exc_info=True)
        finally:
            self.pool.pool_states.pop(conn, None)

    def mark_down(self, server: Server | None) -> None:
        """Skip ``server`` for EXHAUST_SECONDS. ldap3 only does this when a TCP connect fails; a
        server that accepts connections but never answers (hung slapd) must be skipped too."""
        state = getattr(self.pool, "_pool_state", None)  # single_state pools share one state
        if state is None or server is None:
            return
        for server_state in state.server_states:
            if server_state.server is server:
                server_state.available = False
                server_state.last_checked_time = datetime.now()
                log.warning("ldap %s: server %s marked down for %ss", self.directory.name, server.name,
                            EXHAUST_SECONDS)

    def _fail(self, exc: BaseException, what: str) -> UpstreamUnavailable:
        log.warning("ldap %s: %s failed: %s", self.directory.name, what, describe(exc))
        return UpstreamUnavailable(UNAVAILABLE, reason=f"{what}: {describe(exc)}", retryable=True)

    # -- service account ---------------------------------------------------------------------
    def _checkout(self, reuse: bool = True) -> tuple[Connection, bool]:
        with self._lock:
            if reuse and self._idle:
                return self._idle.pop(), True
        d = self.directory
        conn = self._connect(d.bind_dn or None, d.bind_password or None)
        if not conn.bound:
            result = dict(conn.result or {})
            self.release(conn)
            # Wrong service credentials are a configuration problem, not a dead server.
            raise UpstreamUnavailable(UNAVAILABLE, reason=f"service bind refused: {result.get('description')}")
        return conn, False

    def _checkin(self, conn: Connection) -> None:
        with self._lock:
            if len(self._idle) < MAX_IDLE_SERVICE_CONNECTIONS and not conn.closed:
                self._idle.append(conn)
                return
        self.release(conn)

    def with_service(self, operation: Callable[[Connection], T]) -> T:
        """Run ``operation`` on a bound service connection, replacing a stale one or failing over once."""
        fresh_failures = 0
        reuse = True
        while True:
            conn: Connection | None = None
            reused = False
            try:
                conn, reused = self._checkout(reuse)
                result = operation(conn)
            except NETWORK_ERRORS as exc:
                if conn is not None:
                    self.release(conn)
                    if not reused:
                        self.mark_down(conn.server)
                if reused:  # idle connection went stale (server restart, idle timeout): reconnect once
                    log.info("ldap %s: pooled service connection was stale (%s); reconnecting",
                             self.directory.name, describe(exc))
                    reuse = False
                    self.close()  # its idle siblings are most likely just as stale
                    continue
                fresh_failures += 1
                if self._may_retry(exc, fresh_failures):
                    continue
                raise self._fail(exc, "directory search") from exc
            except UpstreamUnavailable:
                if conn is not None:
                    self.release(conn)
                raise
            except LDAPException as exc:
                if conn is not None:
                    self.release(conn)
                raise self._fail(exc, "directory search") from exc
            except BaseException:
                if conn is not None:
                    self.release(conn)
                raise
            self._checkin(conn)
            return result

    def _may_retry(self, exc: BaseException, failures: int) -> bool:
        """One more attempt, only when another server may take it (the failed one is marked down)."""
        return failures < 2 and len(self.servers) > 1 and not isinstance(exc, LDAPServerPoolExhaustedError)

    # -- the user's own bind -----------------------------------------------------------------
    def user_bind(self, dn: str, password: str) -> dict:
        """Bind as ``dn`` on a short-lived connection; returns ldap3's result dict (``result`` 0 = OK)."""
        failures = 0
        while True:
            try:
                conn = self._connect(dn, password)
            except NETWORK_ERRORS as exc:
                failures += 1
                if self._may_retry(exc, failures):
                    continue
                raise self._fail(exc, "user bind") from exc
            except LDAPException as exc:
                raise self._fail(exc, "user bind") from exc
            result = dict(conn.result or {})
            self.release(conn)
            return result

    def close(self) -> None:
        """Close idle service connections (application shutdown, tests)."""
        with self._lock:
            idle, self._idle = self._idle, []
        for conn in idle:
            self.release(conn)
