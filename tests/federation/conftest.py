"""A gateway federated with the provincial simulator: both real processes/servers on loopback."""

from __future__ import annotations

import contextlib
import copy

import pytest

from tests.conftest import build_app, make_settings
from tests.services.live import serving
from tests.services.provincial import start_provincial, stop
from tests.services.redis import free_port
from tests.simulator.sim_helpers import app_word, shipped_seed


def seed_for(issuer: str) -> dict:
    seed = copy.deepcopy(shipped_seed())
    for app in seed["apps"]:
        if app["appMark"] == "WFTYSFRZ":
            app["backUrlPrefixes"] = [f"{issuer}/federation/provincial"]
            app["logoutUrl"] = f"{issuer}/federation/provincial/logout-notice"
    return seed


@contextlib.contextmanager
def federated_gateway(redis_url: str, workdir, db_name: str = "g.sqlite"):
    """A gateway served over HTTP on a free port, federated with a simulator whose seed points back
    at it; yields (issuer, app, simulator info). Use a Redis DB of its own per gateway."""
    port = free_port()
    issuer = f"http://127.0.0.1:{port}"
    seed = seed_for(issuer)
    sim = start_provincial(workdir / "sim", seed=seed)
    settings = make_settings(redis_url, f"sqlite:///{workdir / db_name}", issuer, provincial={
        "enabled": True, "base_url": sim["base_url"], "app_mark": "WFTYSFRZ",
        "app_word": app_word(seed, "WFTYSFRZ"), "connect_timeout": 1.0, "read_timeout": 2.0})
    app = build_app(settings)
    try:
        with serving(app, port):
            yield issuer, app, sim
    finally:
        app.extensions["gateway"].audit.stop()
        stop(sim)


@pytest.fixture(scope="session")
def federated(redis_server, tmp_path_factory):
    """(issuer, app, simulator info) — the gateway served over HTTP so the province can call it."""
    with federated_gateway(redis_server["url"][:-1] + "1", tmp_path_factory.mktemp("fed")) as gateway:
        yield gateway
