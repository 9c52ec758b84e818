"""Single logout with 20 portals: how long the user's logout page takes, and how long until all 20
portals have their logout token.

    .venv/bin/python bench/bench_logout.py [--rounds 10] [--slow]

Real gateway (gunicorn 2x4), real worker process (``flask --app wsgi worker``), 20 real HTTP
receivers on loopback. ``--slow`` makes every portal take 2.5 s to answer: the logout page must not
care.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import re
import secrets
import statistics
import subprocess
import sys
import time
from urllib.parse import parse_qs, urlencode, urlsplit

import requests

from common import PY, ROOT, Gateway
from tests.services.receiver import Receiver


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=10)
    ap.add_argument("--portals", type=int, default=20)
    ap.add_argument("--slow", action="store_true")
    args = ap.parse_args()
    receivers = [Receiver(delay=2.5 if args.slow else 0.0) for _ in range(args.portals)]
    gw = Gateway()
    worker = None
    try:
        rps = []
        for i, rec in enumerate(receivers):
            rp = json.loads(gw.flask("clients", "create", "--name", f"portal{i}", "--redirect-uri",
                                     f"http://127.0.0.1:9/cb{i}", "--backchannel-logout-uri", rec.url,
                                     "--first-party", "--json"))
            rps.append((rp["client_id"], rp["client_secret"], f"http://127.0.0.1:9/cb{i}"))
        gw.flask("users", "create", "--username", "bench", "--password", "Bench-Pass-2026!")
        gw.start()
        worker = subprocess.Popen([PY, "-m", "flask", "--app", "wsgi", "worker"], cwd=ROOT, env=gw.env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        page_ms, all_ms = [], []
        for _ in range(args.rounds):
            s = requests.Session()
            html = s.get(f"{gw.issuer}/login").text
            csrf = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
            s.post(f"{gw.issuer}/login/local", data={"csrf_token": csrf, "username": "bench",
                                                     "password": "Bench-Pass-2026!"}, allow_redirects=False)
            id_token = None
            for cid, secret, redirect_uri in rps:
                verifier = secrets.token_urlsafe(48)
                challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
                q = urlencode({"response_type": "code", "client_id": cid, "redirect_uri": redirect_uri,
                               "scope": "openid", "state": "s", "code_challenge": challenge,
                               "code_challenge_method": "S256"})
                loc = s.get(f"{gw.issuer}/authorize?{q}", allow_redirects=False).headers["Location"]
                code = parse_qs(urlsplit(loc).query)["code"][0]
                tok = requests.post(f"{gw.issuer}/token", auth=(cid, secret), data={
                    "grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri,
                    "code_verifier": verifier}).json()
                id_token = id_token or tok["id_token"]
            before = [len(r.received) for r in receivers]
            t0 = time.perf_counter()
            r = s.get(f"{gw.issuer}/logout", params={"id_token_hint": id_token}, allow_redirects=False)
            page_ms.append((time.perf_counter() - t0) * 1000)
            assert r.status_code == 302, r.status_code
            deadline = time.time() + 30
            while any(len(r.received) <= b for r, b in zip(receivers, before)):
                if time.time() > deadline:
                    raise SystemExit("deliveries did not complete in 30 s")
                time.sleep(0.005)
            done = max(r.received[-1]["at"] for r in receivers)
            all_ms.append((done - (time.time() - (time.perf_counter() - t0))) * 1000)
    finally:
        if worker:
            worker.terminate()
            worker.wait(10)
        gw.stop()
        for r in receivers:
            r.stop()
    print(f"\nsingle logout, {args.portals} portals{' answering in 2.5 s' if args.slow else ''}, "
          f"{args.rounds} rounds, 2-core machine")
    print(f"  logout page:            median {statistics.median(page_ms):7.1f} ms   max {max(page_ms):7.1f} ms")
    print(f"  all {args.portals} deliveries done:  median {statistics.median(all_ms):7.1f} ms   "
          f"max {max(all_ms):7.1f} ms")


if __name__ == "__main__":
    sys.exit(main())
