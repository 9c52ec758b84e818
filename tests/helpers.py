"""Browser-leg helpers for tests that drive the gateway through its HTTP surface."""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from urllib.parse import parse_qs, urlencode, urlsplit


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
    return verifier, challenge


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF token in page"
    return match.group(1)


def query(location: str) -> dict:
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def authorize_url(rp: dict, scope="openid profile", **extra) -> tuple[str, dict]:
    verifier, challenge = pkce_pair()
    params = {"response_type": "code", "client_id": rp["client_id"], "redirect_uri": rp["redirect_uri"],
              "scope": scope, "state": secrets.token_urlsafe(8), "nonce": secrets.token_urlsafe(8),
              "code_challenge": challenge, "code_challenge_method": "S256", **extra}
    return "/authorize?" + urlencode(params), {**params, "code_verifier": verifier}


def local_login(client, user: dict, login_location: str):
    """Follow a redirect to /login, post the local form; returns the response of the post."""
    page = client.get(login_location)
    assert page.status_code == 200, page.status_code
    tx = query(login_location).get("tx", "")
    return client.post("/login/local", data={"csrf_token": csrf_of(page.get_data(as_text=True)), "tx": tx,
                                             "username": user["username"], "password": user["password"]})


def get_code(client, rp: dict, user: dict, scope="openid profile", **extra) -> tuple[str, dict]:
    """Run /authorize through login (and consent) until the redirect to the RP; returns (code, params)."""
    url, params = authorize_url(rp, scope=scope, **extra)
    r = client.get(url)
    for _ in range(6):
        assert r.status_code in (302, 303), (r.status_code, r.get_data(as_text=True)[:500])
        location = r.headers["Location"]
        if location.startswith(rp["redirect_uri"]):
            q = query(location)
            assert q.get("state") == params["state"]
            assert "code" in q, q
            return q["code"], params
        path = location.replace("http://127.0.0.1", "")
        path = path[path.index("/", 8):] if path.startswith("http") else path
        if path.startswith("/login"):
            r = local_login(client, user, path)
        elif path.startswith("/consent"):
            page = client.get(path)
            html = page.get_data(as_text=True)
            checked = re.findall(r'name="claim" value="([^"]+)" checked', html)  # as a browser would post
            r = client.post(path, data={"csrf_token": csrf_of(html), "tx": query(path)["tx"],
                                        "decision": "allow", "claim": checked})
        else:
            r = client.get(path)
    raise AssertionError("authorization did not finish")


def redeem(client, rp: dict, code: str, params: dict, **overrides):
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": params["redirect_uri"],
            "code_verifier": params["code_verifier"], **overrides}
    auth = (rp["client_id"], rp["client_secret"]) if rp.get("client_secret") else None
    headers = {"Authorization": "Basic " + base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()} if auth else {}
    if not auth:
        data["client_id"] = rp["client_id"]
    return client.post("/token", data=data, headers=headers)


def basic(rp: dict) -> dict:
    raw = f"{rp['client_id']}:{rp['client_secret']}".encode()
    return {"Authorization": "Basic " + base64.b64encode(raw).decode()}


def wait_until(predicate, timeout: float, message: str, interval: float = 0.02):
    """Poll ``predicate`` until it returns something truthy (returned), or fail with ``message``."""
    import time

    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        assert time.monotonic() < deadline, message
        time.sleep(interval)
