"""The browser and portal legs over real HTTP (requests), for tests against gateway processes."""

from __future__ import annotations

import re
from urllib.parse import urljoin

import requests

from tests.helpers import authorize_url, basic, csrf_of, query


def seed(svc, username: str = "loaduser", password: str = "Load-Pass-2026") -> tuple[dict, dict]:
    """A local user and a first-party confidential portal (no consent page in the way)."""
    if svc.accounts.find(username) is None:
        svc.accounts.create(username, password, name="负载用户")
    record, secret = svc.clients.create(name="门户", redirect_uris=["https://p.weifang.example/cb"],
                                        grant_types=["authorization_code", "refresh_token", "client_credentials"],
                                        scope="openid profile offline_access", first_party=True)
    rp = {"client_id": record.client_id, "client_secret": secret, "redirect_uri": "https://p.weifang.example/cb"}
    return {"username": username, "password": password}, rp


def login(http: requests.Session, base: str, user: dict, tx: str = "", timeout: float = 10) -> requests.Response:
    """GET the login page, POST the local form; returns the POST's response (redirects not followed)."""
    page = http.get(f"{base}/login" + (f"?tx={tx}" if tx else ""), timeout=timeout)
    if page.status_code != 200:
        return page
    return http.post(f"{base}/login/local", allow_redirects=False, timeout=timeout,
                     data={"csrf_token": csrf_of(page.text), "tx": tx, "username": user["username"],
                           "password": user["password"]})


class FlowStopped(AssertionError):
    """A step of the flow answered something other than a redirect (e.g. 503 while Redis is down)."""

    def __init__(self, status: int, body: str):
        super().__init__(f"{status}: {body[:300]}")
        self.status = status


def code_via(http: requests.Session, bases: list[str], rp: dict, user: dict | None, timeout: float = 10):
    """Run /authorize (logging in if asked) hopping over ``bases`` in turn; returns (code, params)."""
    url, params = authorize_url(rp, scope="openid profile offline_access")
    hop = 0
    r = http.get(bases[0] + url, allow_redirects=False, timeout=timeout)
    for _ in range(8):
        if r.status_code not in (302, 303):
            raise FlowStopped(r.status_code, r.text)
        location = r.headers["Location"]
        if location.startswith(rp["redirect_uri"]):
            return query(location)["code"], params
        hop += 1
        base = bases[hop % len(bases)]
        path = re.sub(r"^https?://[^/]+", "", urljoin(r.url, location))
        if path.startswith("/login"):
            assert user is not None, "asked to log in"
            r = login(http, base, user, tx=query(path).get("tx", ""), timeout=timeout)
        else:
            r = http.get(base + path, allow_redirects=False, timeout=timeout)
    raise AssertionError("authorization did not finish")


def redeem(base: str, rp: dict, code: str, params: dict, timeout: float = 10) -> requests.Response:
    return requests.post(f"{base}/token", headers=basic(rp), timeout=timeout, data={
        "grant_type": "authorization_code", "code": code, "redirect_uri": params["redirect_uri"],
        "code_verifier": params["code_verifier"]})


def refresh(base: str, rp: dict, token: str, timeout: float = 10) -> requests.Response:
    return requests.post(f"{base}/token", headers=basic(rp), timeout=timeout,
                         data={"grant_type": "refresh_token", "refresh_token": token})


def logout(http: requests.Session, base: str, timeout: float = 10) -> requests.Response:
    page = http.get(f"{base}/logout", timeout=timeout)
    return http.post(f"{base}/logout/confirm", data={"csrf_token": csrf_of(page.text), "confirm": "yes"},
                     allow_redirects=False, timeout=timeout)
