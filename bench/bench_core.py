"""Gateway core benchmark: prints requests/s and p50/p99 for the protocol endpoints.

    .venv/bin/python bench/bench_core.py [--seconds 8]

gunicorn 2 workers x 4 threads on 127.0.0.1, wrk (2 threads, 16 connections) on the same 2-core
machine, so load generator and server share the CPU — compare against the Flask "hello" ceiling
measured in the same run, not against absolute numbers from elsewhere.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import re
import secrets
import threading
import time
from urllib.parse import parse_qs, urlencode, urlsplit

import requests

from common import Gateway, header_script, hello_server, percentiles, post_script, row, wrk


def basic(cid: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{cid}:{secret}".encode()).decode()


def login_session(gw: Gateway, username: str, password: str) -> requests.Session:
    s = requests.Session()
    page = s.get(f"{gw.issuer}/login").text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    r = s.post(f"{gw.issuer}/login/local", data={"csrf_token": csrf, "username": username, "password": password},
               allow_redirects=False)
    assert r.status_code == 302, r.text
    return s


def code_flow(s: requests.Session, gw: Gateway, cid: str, secret: str, redirect_uri: str) -> None:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
    q = urlencode({"response_type": "code", "client_id": cid, "redirect_uri": redirect_uri, "scope": "openid profile",
                   "state": "s", "nonce": "n", "code_challenge": challenge, "code_challenge_method": "S256"})
    r = s.get(f"{gw.issuer}/authorize?{q}", allow_redirects=False)
    code = parse_qs(urlsplit(r.headers["Location"]).query)["code"][0]
    t = s.post(f"{gw.issuer}/token", data={"grant_type": "authorization_code", "code": code,
                                           "redirect_uri": redirect_uri, "code_verifier": verifier},
               headers={"Authorization": basic(cid, secret)})
    assert t.status_code == 200, t.text


def run_threads(fn, threads: int, seconds: float) -> tuple[float, list[float]]:
    samples: list[float] = []
    lock = threading.Lock()
    stop = time.time() + seconds

    def worker():
        local = []
        while time.time() < stop:
            t0 = time.perf_counter()
            fn()
            local.append(time.perf_counter() - t0)
        with lock:
            samples.extend(local)

    ts = [threading.Thread(target=worker) for _ in range(threads)]
    t0 = time.time()
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return len(samples) / (time.time() - t0), samples


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=int, default=8)
    ap.add_argument("--only", default="", help="comma-separated subset: hello,discovery,jwks,cc,introspect,"
                                                "userinfo,code,login")
    args = ap.parse_args()
    secs = args.seconds
    only = set(filter(None, args.only.split(",")))

    def want(name: str) -> bool:
        return not only or name in only

    results = {}
    if want("hello"):
        proc, port = hello_server()
        results["flask hello (ceiling)"] = wrk(f"http://127.0.0.1:{port}/", secs)
        proc.terminate()
        proc.wait()

    gw = Gateway()
    try:
        redirect_uri = "http://127.0.0.1:9/cb"
        rp = json.loads(gw.flask("clients", "create", "--name", "bench", "--redirect-uri", redirect_uri,
                                 "--grant", "authorization_code", "--grant", "refresh_token",
                                 "--grant", "client_credentials", "--scope", "openid profile email gateway:introspect",
                                 "--first-party", "--json"))
        cid, secret = rp["client_id"], rp["client_secret"]
        gw.flask("users", "create", "--username", "bench", "--password", "Bench-Pass-2026!")
        gw.start()
        auth = {"Authorization": basic(cid, secret)}
        s = login_session(gw, "bench", "Bench-Pass-2026!")
        verifier = secrets.token_urlsafe(48)
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
        q = urlencode({"response_type": "code", "client_id": cid, "redirect_uri": redirect_uri,
                       "scope": "openid profile email", "state": "s", "code_challenge": challenge,
                       "code_challenge_method": "S256"})
        code = parse_qs(urlsplit(s.get(f"{gw.issuer}/authorize?{q}", allow_redirects=False)
                                 .headers["Location"]).query)["code"][0]
        tokens = requests.post(f"{gw.issuer}/token", headers=auth,
                               data={"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri,
                                     "code_verifier": verifier}).json()
        at = tokens["access_token"]

        if want("discovery"):
            results["discovery"] = wrk(f"{gw.issuer}/.well-known/openid-configuration", secs)
        if want("jwks"):
            results["jwks"] = wrk(f"{gw.issuer}/jwks", secs)
        if want("cc"):
            results["client_credentials token"] = wrk(f"{gw.issuer}/token", secs,
                                                      script=post_script("grant_type=client_credentials", auth))
        if want("introspect"):
            results["introspection"] = wrk(f"{gw.issuer}/introspect", secs, script=post_script(f"token={at}", auth))
        if want("userinfo"):
            results["userinfo"] = wrk(f"{gw.issuer}/userinfo", secs,
                                      script=header_script({"Authorization": f"Bearer {at}"}))
        if want("code"):
            sessions = [login_session(gw, "bench", "Bench-Pass-2026!") for _ in range(16)]
            it = iter(range(10**9))
            flow_rate, flow_samples = run_threads(
                lambda: code_flow(sessions[next(it) % 16], gw, cid, secret, redirect_uri), 16, secs)
            p50, p99 = percentiles(flow_samples)
            results["code+PKCE flow (SSO session)"] = {"rps": flow_rate, "p50_ms": p50, "p99_ms": p99}
        if want("login"):
            login_rate, login_samples = run_threads(lambda: login_session(gw, "bench", "Bench-Pass-2026!"), 8, secs)
            p50, p99 = percentiles(login_samples)
            results["password login (argon2id m=19MiB t=2)"] = {"rps": login_rate, "p50_ms": p50, "p99_ms": p99}
    finally:
        gw.stop()
    print(f"\ngateway core, gunicorn 2x4 threads, 16 connections, {secs}s per row, 2-core machine\n")
    for name, r in results.items():
        print(row(name, r))
    if "flask hello (ceiling)" in results:
        ceiling = results["flask hello (ceiling)"]["rps"]
        print("\nratio to the Flask hello ceiling:")
        for name, r in results.items():
            print(f"  {name:34} {r['rps'] / ceiling:6.1%}")


if __name__ == "__main__":
    main()
