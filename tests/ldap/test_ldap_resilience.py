"""A directory that is down, hung or restarted costs bounded time and never affects another one."""

from __future__ import annotations

import subprocess
import threading
import time

import pytest

from gateway.federation.base import InvalidCredentials, UpstreamUnavailable
from tests.ldap.directories import rsj_directory, scjg_directory
from tests.services.slapd import ADMIN_DN, ADMIN_PW, closed_port, start_slapd, stop_slapd
from tests.helpers import wait_until

FAST = {"connect_timeout": 0.5, "receive_timeout": 0.5}


def timed(fn, *args):
    started = time.monotonic()
    try:
        return fn(*args), time.monotonic() - started
    except Exception as exc:  # noqa: BLE001 - returned for the assertion
        return exc, time.monotonic() - started


def test_one_directory_down_while_the_other_works(slapd_primary, make_connector):
    down = rsj_directory([f"ldap://127.0.0.1:{closed_port()}"], **FAST)
    up = scjg_directory([slapd_primary["uri"]])
    connector = make_connector(down, up)

    error, elapsed = timed(connector.authenticate, "rsj", "zhangwei", "zhangwei-Pw1!")
    assert isinstance(error, UpstreamUnavailable)
    assert error.user_message == "ldap.directory_unavailable"
    assert elapsed < 2
    assert connector.authenticate("scjg", "wangfang", "wangfang-Pw1!").connector == "ldap:scjg"


def test_hung_directory_raises_unavailable_within_its_timeouts(blackhole, make_connector):
    connector = make_connector(rsj_directory([f"ldap://127.0.0.1:{blackhole.port}"], **FAST))
    error, elapsed = timed(connector.authenticate, "rsj", "zhangwei", "zhangwei-Pw1!")
    assert isinstance(error, UpstreamUnavailable), error
    assert error.retryable
    assert elapsed < 3, f"took {elapsed:.2f}s with 0.5s timeouts"
    # The pool now skips the hung server: the next attempt fails at once, without connecting again.
    accepted = blackhole.accepted
    error, elapsed = timed(connector.authenticate, "rsj", "zhangwei", "zhangwei-Pw1!")
    assert isinstance(error, UpstreamUnavailable)
    assert blackhole.accepted == accepted
    assert elapsed < 1


def test_hung_directory_does_not_block_another_directory(blackhole, slapd_primary, make_connector):
    connector = make_connector(rsj_directory([f"ldap://127.0.0.1:{blackhole.port}"], connect_timeout=0.5,
                                             receive_timeout=3.0),
                               scjg_directory([slapd_primary["uri"]]))
    stuck = threading.Thread(target=timed, args=(connector.authenticate, "rsj", "zhangwei", "x-Pw1!"))
    before = blackhole.accepted
    stuck.start()
    wait_until(lambda: blackhole.accepted > before, 5, "the rsj login never reached the black hole")
    identity, elapsed = timed(connector.authenticate, "scjg", "wangfang", "wangfang-Pw1!")
    assert identity.connector == "ldap:scjg"
    assert elapsed < 1.5  # far below the 3 s the rsj login is stuck for
    stuck.join(10)
    assert not stuck.is_alive()


def test_failover_to_second_server_when_first_is_down(slapd_secondary, make_connector):
    directory = rsj_directory([f"ldap://127.0.0.1:{closed_port()}", slapd_secondary["uri"]],
                              pool_strategy="FIRST", **FAST)
    connector = make_connector(directory)
    identity, elapsed = timed(connector.authenticate, "rsj", "zhangwei", "zhangwei-Pw1!")
    assert identity.upstream_id == "2d3b9a10-6c1e-4f7b-8a21-5a1c00000101"
    assert elapsed < 2
    for _ in range(3):
        assert connector.authenticate("rsj", "lina", "lina-Pw1!").claims["preferred_username"] == "lina"


def test_failover_to_second_server_when_first_hangs(blackhole, slapd_secondary, make_connector):
    directory = rsj_directory([f"ldap://127.0.0.1:{blackhole.port}", slapd_secondary["uri"]],
                              pool_strategy="FIRST", **FAST)
    connector = make_connector(directory)
    identity, elapsed = timed(connector.authenticate, "rsj", "zhangwei", "zhangwei-Pw1!")
    assert identity.connector == "ldap:rsj", identity
    assert elapsed < 3
    accepted = blackhole.accepted
    identity, _ = timed(connector.authenticate, "rsj", "lina", "lina-Pw1!")
    assert identity.connector == "ldap:rsj"
    assert blackhole.accepted == accepted  # the hung server is skipped now


def test_wrong_password_is_not_mistaken_for_an_outage_during_failover(slapd_secondary, make_connector):
    directory = rsj_directory([f"ldap://127.0.0.1:{closed_port()}", slapd_secondary["uri"]], **FAST)
    with pytest.raises(InvalidCredentials):
        make_connector(directory).authenticate("rsj", "zhangwei", "wrong")


@pytest.fixture(scope="module")
def round_robin_pair(tmp_path_factory):
    """Two servers that differ in one thing: lina's password on the second one."""
    first = start_slapd(tmp_path_factory.mktemp("rr-a"))
    second = start_slapd(tmp_path_factory.mktemp("rr-b"))
    try:
        subprocess.run(["ldappasswd", "-x", "-H", second["uri"], "-D", ADMIN_DN, "-w", ADMIN_PW, "-s", "lina-Pw2!",
                        "uid=lina,ou=rsj,dc=weifang,dc=gov,dc=cn"], check=True, capture_output=True)
        yield first, second
    finally:
        stop_slapd(first)
        stop_slapd(second)


def _outcomes(connector, n=8):
    results = []
    for _ in range(n):
        try:
            connector.authenticate("rsj", "lina", "lina-Pw1!")
            results.append("a")
        except InvalidCredentials:
            results.append("b")
    return results


def test_round_robin_spreads_binds_over_all_servers(round_robin_pair, make_connector):
    first, second = round_robin_pair
    connector = make_connector(rsj_directory([first["uri"], second["uri"]], pool_strategy="ROUND_ROBIN"))
    results = _outcomes(connector)
    assert "a" in results and "b" in results, results  # binds landed on both servers


def test_first_strategy_sticks_to_the_first_live_server(round_robin_pair, make_connector):
    first, second = round_robin_pair
    connector = make_connector(rsj_directory([first["uri"], second["uri"]], pool_strategy="FIRST"))
    assert _outcomes(connector) == ["a"] * 8


def test_stale_service_connection_is_replaced_after_a_directory_restart(tmp_path, make_connector):
    info = start_slapd(tmp_path / "a")
    port = info["port"]
    connector = make_connector(rsj_directory([info["uri"]]))
    # Concurrent logins leave several pooled service connections behind.
    threads = [threading.Thread(target=connector.authenticate, args=("rsj", "lina", "lina-Pw1!")) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    stop_slapd(info)
    restarted = start_slapd(tmp_path / "b", port=port)  # same address, fresh server: old sockets are dead
    try:
        identity, elapsed = timed(connector.authenticate, "rsj", "lina", "lina-Pw1!")
        assert identity.claims["preferred_username"] == "lina"
        assert elapsed < 1.5  # no timeout was waited for (receive_timeout is 2 s)
    finally:
        stop_slapd(restarted)


def test_twenty_concurrent_logins_all_succeed(slapd_primary, make_connector):
    connector = make_connector(rsj_directory([slapd_primary["uri"]]), scjg_directory([slapd_primary["uri"]]))
    users = [("rsj", "zhangwei"), ("rsj", "lina"), ("scjg", "wangfang")]
    barrier = threading.Barrier(20)
    results: list = [None] * 20

    def login(i: int) -> None:
        directory, uid = users[i % len(users)]
        barrier.wait()
        try:
            results[i] = connector.authenticate(directory, uid, f"{uid}-Pw1!").claims["preferred_username"]
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            results[i] = exc

    threads = [threading.Thread(target=login, args=(i,)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert results == [users[i % len(users)][1] for i in range(20)]


def test_directory_is_used_again_once_it_is_back(tmp_path, make_connector, monkeypatch):
    from gateway.federation import ldap_pool

    monkeypatch.setattr(ldap_pool, "EXHAUST_SECONDS", 2)  # production: 10 s
    info = start_slapd(tmp_path / "a")
    port = info["port"]
    connector = make_connector(rsj_directory([info["uri"]], **FAST))
    stop_slapd(info)
    with pytest.raises(UpstreamUnavailable):
        connector.authenticate("rsj", "lina", "lina-Pw1!")
    failed_at = time.monotonic()
    restarted = start_slapd(tmp_path / "b", port=port)
    try:
        if time.monotonic() - failed_at < 1.5:
            # Within the exhaust period the server is still skipped: no hammering of a sick directory.
            with pytest.raises(UpstreamUnavailable, match="PoolExhausted"):
                connector.authenticate("rsj", "lina", "lina-Pw1!")
        time.sleep(max(0.0, failed_at + 2.2 - time.monotonic()))
        # Once the period is over the server is probed and used again.
        assert connector.authenticate("rsj", "lina", "lina-Pw1!").claims["preferred_username"] == "lina"
    finally:
        stop_slapd(restarted)
