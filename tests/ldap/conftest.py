"""Real directories for the LDAP connector tests: two slapd with the same seed and a black hole.

* ``slapd_primary`` - StartTLS on ldap:// plus an ldaps:// port (self-signed CA in ``ca_file``);
* ``slapd_secondary`` - the failover server (same seed, so the same entryUUIDs, as replication gives);
* ``blackhole`` - accepts TCP connections and never answers (a hung directory);
* ``make_connector`` - builds connectors for a test (settings from ``directories.py``), closing
  the connectors' idle connections afterwards.
"""

from __future__ import annotations

import os

import pytest

from tests.ldap.directories import rsj_directory, scjg_directory
from tests.services.slapd import slapd_available, start_blackhole, start_slapd, stop_slapd

REQUIRE = os.environ.get("REQUIRE_SERVICES") == "1"


def _need_slapd() -> None:
    if not slapd_available():
        (pytest.fail if REQUIRE else pytest.skip)("slapd / ldap-utils not installed")


@pytest.fixture(scope="session")
def slapd_primary(tmp_path_factory):
    _need_slapd()
    info = start_slapd(tmp_path_factory.mktemp("slapd-primary"), tls=True)
    yield info
    stop_slapd(info)


@pytest.fixture(scope="session")
def slapd_secondary(tmp_path_factory):
    _need_slapd()
    info = start_slapd(tmp_path_factory.mktemp("slapd-secondary"))
    yield info
    stop_slapd(info)


@pytest.fixture(scope="session")
def blackhole():
    hole = start_blackhole()
    yield hole
    hole.stop()


@pytest.fixture
def make_connector():
    from gateway.federation.ldap import LdapConnector

    built = []

    def make(*directories, **kwargs):
        connector = LdapConnector(list(directories), **kwargs)
        built.append(connector)
        return connector

    yield make
    for connector in built:
        connector.close()


@pytest.fixture
def connector(slapd_primary, make_connector):
    """Both departments on the primary server."""
    uri = slapd_primary["uri"]
    return make_connector(rsj_directory([uri]), scjg_directory([uri]))
