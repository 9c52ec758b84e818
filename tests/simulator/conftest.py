"""Fixtures: the provincial simulator as a real subprocess, a logout-notice receiver, a browser helper."""

from __future__ import annotations

import copy
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import pytest
import requests

from gateway.federation.provincial_client import ProvincialClient
from tests.services.provincial import start_provincial, stop
from tests.simulator.sim_helpers import Browser, app_word, shipped_seed


class NoticeReceiver:
    """A real HTTP endpoint that records the form posts it gets (the apps' logoutUrl)."""

    def __init__(self):
        self.posts: list[tuple[str, dict[str, str]]] = []
        self.cond = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server API)
                body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
                form = {k: v[0] for k, v in parse_qs(body).items()}
                with receiver.cond:
                    receiver.posts.append((self.path, form))
                    receiver.cond.notify_all()
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def wait_for(self, predicate, timeout: float = 5.0) -> list:
        with self.cond:
            self.cond.wait_for(lambda: predicate(self.posts), timeout=timeout)
            return list(self.posts)

    def clear(self):
        with self.cond:
            self.posts.clear()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="session")
def receiver():
    r = NoticeReceiver()
    yield r
    r.close()


@pytest.fixture(scope="session")
def test_seed(receiver) -> dict:
    seed = shipped_seed()
    for app in seed["apps"]:
        if app["appMark"] in ("WFTYSFRZ", "WFZWFW"):
            app["logoutUrl"] = f"{receiver.url}/logout/{app['appMark']}"
    deny = copy.deepcopy(next(a for a in seed["apps"] if a["appMark"] == "WFZWFW"))
    deny.update(appMark="WFIPDENY", appWord="wfipdeny-demo-appword-change-me-0009",
                ipWhitelist=["10.0.0.0/8"], logoutUrl="")
    seed["apps"].append(deny)
    return seed


def _start(tmp_path_factory, name, seed, env=None):
    info = start_provincial(tmp_path_factory.mktemp(name), seed=seed, env=env)
    return info


@pytest.fixture(scope="session")
def provincial_server(tmp_path_factory, test_seed):
    info = _start(tmp_path_factory, "provincial", test_seed)
    yield info
    stop(info)


@pytest.fixture(scope="session")
def short_lived_server(tmp_path_factory, test_seed):
    """A second simulator whose tickets and tokens live 1 s, for expiry tests without long sleeps."""
    info = _start(tmp_path_factory, "provincial-short", test_seed,
                  {"PROVINCIAL_TICKET_TTL": "1", "PROVINCIAL_TOKEN_TTL": "1"})
    yield info
    stop(info)


@pytest.fixture
def provincial(provincial_server, receiver):
    """The shared simulator with runtime state and fault switches reset before each test."""
    requests.post(f"{provincial_server['base_url']}/__sim__/reset", timeout=5).raise_for_status()
    receiver.clear()
    return provincial_server


@pytest.fixture
def make_client(test_seed):
    clients = []

    def make(server, app_mark="WFTYSFRZ", **kwargs) -> ProvincialClient:
        c = ProvincialClient(server["base_url"], app_mark, app_word(test_seed, app_mark), **kwargs)
        clients.append(c)
        return c

    yield make
    for c in clients:
        c.close()


@pytest.fixture
def browser(provincial):
    return Browser(provincial["base_url"])
