"""Full federated login through the simulated province, browser-less, and staff logins through
the gateway against a local slapd.

    .venv/bin/python bench/bench_federation.py [--seconds 10] [--threads 8]

A "flow" is what a citizen's browser and the portal's back end do for one login:
portal -> /authorize -> /login -> province login page -> password -> SMS code -> ticket back to the
gateway (getSign/ticketToToken/getUserInfo server to server) -> code -> /token. Everything runs on
this 2-core machine: the load generator, gunicorn (2 workers x 4 threads), the simulator, Redis.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import re
import secrets
import sys
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit

import requests

from bench_core import run_threads
from common import Gateway, percentiles
from tests.services.provincial import start_provincial, stop

HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)"')


def federated_login(gw_issuer: str, rp: dict, login: str) -> None:
    s = requests.Session()
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
    q = urlencode({"response_type": "code", "client_id": rp["client_id"], "redirect_uri": rp["redirect_uri"],
                   "scope": "openid profile", "state": "s", "code_challenge": challenge,
                   "code_challenge_method": "S256"})
    url = f"{gw_issuer}/authorize?{q}"
    r = s.get(url, allow_redirects=False)
    for _ in range(20):
        if r.status_code in (301, 302, 303):
            url = urljoin(url, r.headers["Location"])
            if url.startswith(rp["redirect_uri"]):
                break
            r = s.get(url, allow_redirects=False)
            continue
        html, base = r.text, "{0.scheme}://{0.netloc}".format(urlsplit(url))
        hidden = dict(HIDDEN.findall(html))
        if 'action="/federation/provincial/start"' in html:
            r = s.post(base + "/federation/provincial/start", data={**hidden, "user_type": "1"}, allow_redirects=False)
        elif 'action="/jis-web/login/password"' in html:
            r = s.post(base + "/jis-web/login/password", data={**hidden, "loginName": login,
                                                               "password": f"{login}-pw"}, allow_redirects=False)
        elif 'action="/jis-web/login/sms"' in html:
            r = s.post(base + "/jis-web/login/sms", data={**hidden, "smsCode": "123456"}, allow_redirects=False)
        else:
            raise RuntimeError(f"unexpected page {r.status_code}: {html[:200]}")
        url = r.url
    code = parse_qs(urlsplit(url).query)["code"][0]
    t = requests.post(f"{gw_issuer}/token", auth=(rp["client_id"], rp["client_secret"]), data={
        "grant_type": "authorization_code", "code": code, "redirect_uri": rp["redirect_uri"],
        "code_verifier": verifier})
    assert t.status_code == 200, t.text


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--threads", type=int, default=8)
    args = ap.parse_args()
    gw = Gateway.__new__(Gateway)
    # The gateway must know the simulator's URL and the simulator the gateway's: pick ports first.
    from common import free_port

    gport, sport = free_port(), free_port()
    issuer = f"http://127.0.0.1:{gport}"
    seed = json.loads(open("simulators/provincial/seed.json", encoding="utf-8").read())
    for app in seed["apps"]:
        if app["appMark"] == "WFTYSFRZ":
            app["backUrlPrefixes"] = [f"{issuer}/federation/provincial"]
            app["logoutUrl"] = f"{issuer}/federation/provincial/logout-notice"
            word = app["appWord"]
    import tempfile

    sim = start_provincial(tempfile.mkdtemp(prefix="sim-bench."), port=sport, seed=seed)
    Gateway.__init__(gw, extra_toml=f'[provincial]\nenabled = true\nbase_url = "{sim["base_url"]}"\n'
                                    f'app_mark = "WFTYSFRZ"\napp_word = "{word}"\n', port=gport)
    try:
        rp = json.loads(gw.flask("clients", "create", "--name", "bench", "--redirect-uri", "http://127.0.0.1:9/cb",
                                 "--first-party", "--json"))
        rp["redirect_uri"] = "http://127.0.0.1:9/cb"
        gw.start()
        federated_login(issuer, rp, "zhangsan01")
        rate, samples = run_threads(lambda: federated_login(issuer, rp, "zhangsan01"), args.threads, args.seconds)
    finally:
        gw.stop()
        stop(sim)
    p50, p99 = percentiles(samples)
    print(f"\nfederated login (portal -> gateway -> province password+SMS -> gateway -> code -> token), "
          f"{args.threads} concurrent browsers, {args.seconds}s")
    print(f"  {rate:7.1f} flows/s   p50 {p50:7.1f} ms   p99 {p99:7.1f} ms   ({len(samples)} flows)")


if __name__ == "__main__":
    sys.exit(main())
