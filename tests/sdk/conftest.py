"""The SDK end to end: the demo portals and business API from clients/python/examples, served on real
loopback ports, against the real gateway (served over HTTP, with its logout-delivery worker) federated
with the real provincial simulator (a subprocess).

Everything here runs in its own Redis databases (gateway: 5, portals' SDK session stores: 15) and its
own SQLite file, so it can share the test session's redis-server with the other suites.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin

import pytest
import requests
from werkzeug.serving import make_server

from tests.conftest import build_app, make_settings
from tests.federation.browser import ChainBrowser
from tests.federation.conftest import seed_for
from tests.logout.conftest import start_worker
from tests.services.provincial import start_provincial, stop
from tests.simulator.sim_helpers import app_word

SBJ_SCOPE = "openid profile cn_id phone"
QYKB_SCOPE = "openid profile corp"
# client ids of every portal instance the tests start (the API accepts their users' tokens)
PORTAL_CLIENTS = ("wf-sbj", "wf-qykb", "wf-qykb-r", "wf-sbj-bc", "wf-sbj-rot", "wf-sbj-60", "wf-sbj-mitm")


class Served:
    """A WSGI app on a free loopback port, in a thread; the port is known before the app exists."""

    def __init__(self) -> None:
        self.app: Any = None
        self.server = make_server("127.0.0.1", 0, self._dispatch, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def _dispatch(self, environ, start_response):
        return self.app(environ, start_response)

    def start(self, app) -> Served:
        self.app = app
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@dataclass
class Stack:
    issuer: str
    app: Any
    svc: Any
    sim: dict
    portal_redis_url: str
    api: str = ""
    secrets: dict = field(default_factory=dict)
    portals: dict = field(default_factory=dict)
    served: list = field(default_factory=list)

    def register_portal(self, kind: str, client_id: str, base: str, backchannel: str | None = None) -> str:
        """Register a demo portal at the gateway (as scripts/demo.py does); returns the secret."""
        legal = kind == "qykb"
        _, secret = self.svc.clients.create(
            name="企业开办" if legal else "社会保险网上经办",
            department="市市场监督管理局" if legal else "市人力资源和社会保障局",
            client_id=client_id, redirect_uris=[f"{base}/sso/callback"], post_logout_redirect_uris=[f"{base}/"],
            backchannel_logout_uri=backchannel or f"{base}/sso/backchannel-logout",
            grant_types=["authorization_code", "refresh_token"], scope=QYKB_SCOPE if legal else SBJ_SCOPE,
            first_party=True, min_acr_level=2 if legal else 0,
            allowed_user_types=["legal"] if legal else ["natural", "legal"])
        self.secrets[client_id] = secret
        return secret

    def start_portal(self, kind: str, client_id: str, *, backchannel: str | None = None,
                     client: Any = None, always_refresh: bool = False, **config: Any) -> str:
        """Register and serve one instance of a demo portal; returns its base URL.

        ``client(secret, base_url)`` builds the portal's OIDCClient; ``always_refresh`` makes the
        SDK refresh the tokens each time the portal asks for an access token (the refresh grant
        on demand, without waiting for the access token to near its expiry)."""
        from clients.python.examples import qykb_portal, sbj_portal

        served = Served()
        secret = self.register_portal(kind, client_id, served.url, backchannel)
        cfg = {"SSO_ISSUER": self.issuer, "SSO_CLIENT_ID": client_id, "SSO_CLIENT_SECRET": secret,
               "PORTAL_BASE_URL": served.url, "SESSION_REDIS_URL": self.portal_redis_url,
               "BUSINESS_API_URL": self.api, "SSO_JWKS_MIN_REFETCH_INTERVAL": 0, "TESTING": True, **config}
        if client is not None:
            cfg["SSO_CLIENT"] = client(secret, served.url)
        module = qykb_portal if kind == "qykb" else sbj_portal
        portal = module.create_app(cfg)
        if always_refresh:  # the documented state of the extension: app.extensions["sso_client"]
            portal.extensions["sso_client"].tokens.skew = 10**6
        served.start(portal)
        self.served.append(served)
        return served.url


@pytest.fixture(scope="session")
def stack(redis_server, tmp_path_factory):
    from clients.python.examples import business_api

    gateway = Served()
    issuer = gateway.url
    seed = seed_for(issuer)
    sim = start_provincial(tmp_path_factory.mktemp("sdk-sim"), seed=seed)
    db = tmp_path_factory.mktemp("sdk") / "gateway.sqlite"
    base = redis_server["url"][:-1]
    settings = make_settings(
        base + "5", f"sqlite:///{db}", issuer,
        provincial={"enabled": True, "base_url": sim["base_url"], "app_mark": "WFTYSFRZ",
                    "app_word": app_word(seed, "WFTYSFRZ"), "connect_timeout": 1.0, "read_timeout": 3.0})
    app = build_app(settings)
    gateway.start(app)
    stop_worker, worker_thread = start_worker(app)
    svc = app.extensions["gateway"]
    st = Stack(issuer=issuer, app=app, svc=svc, sim=sim, portal_redis_url=base + "15")
    st.served.append(gateway)

    api = Served()
    st.api = api.url
    _, api_secret = svc.clients.create(name="政务业务接口", department="市大数据局", client_id="wf-api",
                                       grant_types=["client_credentials"], scope="corp", first_party=True)
    st.secrets["wf-api"] = api_secret
    api.start(business_api.create_app({"SSO_ISSUER": issuer, "SSO_CLIENT_ID": "wf-api",
                                       "SSO_CLIENT_SECRET": api_secret, "EXCHANGE_URL": api.url,
                                       "API_ALLOWED_CLIENTS": ",".join(PORTAL_CLIENTS),
                                       "SSO_JWKS_MIN_REFETCH_INTERVAL": 0, "TESTING": True}))
    st.served.append(api)
    st.portals["sbj"] = st.start_portal("sbj", "wf-sbj")
    st.portals["qykb"] = st.start_portal("qykb", "wf-qykb")
    yield st
    stop_worker.set()
    worker_thread.join(10)
    for s in reversed(st.served):
        s.stop()
    svc.audit.stop()
    stop(sim)


@pytest.fixture
def browser():
    return ChainBrowser()


def finish(browser: ChainBrowser, response: requests.Response) -> requests.Response:
    """Deliver the redirect back to the portal (the callback) and follow the portal's redirects."""
    assert hasattr(response, "final_url"), (response.status_code, response.text[:500])
    return browser.http.get(response.final_url, timeout=15)


def portal_login(browser: ChainBrowser, base: str, path: str, **chain: Any) -> requests.Response:
    """Open ``base + path`` and answer every page up to the portal's callback; returns the final page."""
    r = browser.run(base + path, stop_at=f"{base}/sso/callback", **chain)
    return finish(browser, r)


def cell(html: str, element_id: str) -> str:
    m = re.search(rf'id="{element_id}">([^<]*)<', html)
    assert m, f"no #{element_id} in page: {html[:400]}"
    return m.group(1).strip()


def is_anonymous(browser: ChainBrowser, url: str) -> bool:
    """True when the portal sends this browser to log in again (its local session is gone)."""
    r = browser.http.get(url, allow_redirects=False, timeout=10)
    return r.status_code == 302 and "/sso/login" in urljoin(url, r.headers["Location"])
