"""Staff logins per second through LdapConnector against a real slapd (target: >= 100/s on 2 cores).

Starts a throwaway slapd with the test seed (tests/services/slapd.py), then runs ``--logins``
authenticate() calls from ``--concurrency`` threads, three times, and prints the median rate.
Each login is what production does: one pooled service-account search + one fresh connection and
bind as the user + unbind.

    .venv/bin/python bench/bench_ldap.py [--logins 1000] [--concurrency 20] [--runs 3]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from anywhere without installing

from gateway.federation.ldap import LdapConnector  # noqa: E402
from gateway.settings import LdapDirectory  # noqa: E402
from tests.services.slapd import BASE, SERVICE_DN, SERVICE_PW, start_slapd, stop_slapd  # noqa: E402

USERS = [("rsj", "zhangwei"), ("rsj", "lina"), ("scjg", "wangfang")]


def directories(uri: str) -> list[LdapDirectory]:
    common = dict(uris=(uri,), bind_dn=SERVICE_DN, bind_password=SERVICE_PW, group_base=f"ou=groups,{BASE}")
    return [
        LdapDirectory(name="rsj", display_name="市人社局", department="市人力资源和社会保障局",
                      user_base=f"ou=rsj,{BASE}", role_groups={"gateway-admins": "admin"}, **common),
        LdapDirectory(name="scjg", display_name="市市场监管局", department="市市场监督管理局",
                      user_base=f"ou=scjg,{BASE}", group_mode="groupOfNames", **common),
    ]


def run(connector: LdapConnector, logins: int, concurrency: int) -> float:
    def login(i: int) -> None:
        directory, uid = USERS[i % len(USERS)]
        connector.authenticate(directory, uid, f"{uid}-Pw1!")

    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(login, range(logins)))  # list(): re-raises the first failure
    return logins / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--logins", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-slapd.") as tmp:
        info = start_slapd(Path(tmp))
        connector = LdapConnector(directories(info["uri"]))
        try:
            run(connector, 50, args.concurrency)  # warm-up: service connections, imports
            rates = [run(connector, args.logins, args.concurrency) for _ in range(args.runs)]
        finally:
            connector.close()
            stop_slapd(info)
    for i, rate in enumerate(rates, 1):
        print(f"run {i}: {rate:7.1f} logins/s")
    print(f"ldap authenticate: {statistics.median(rates):.1f} logins/s (median of {args.runs}, "
          f"{args.logins} logins, {args.concurrency} threads)")


if __name__ == "__main__":
    main()
