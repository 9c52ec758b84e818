"""Redis Cluster (3 masters on loopback) as the session store: the whole login/token/logout cycle works."""

from __future__ import annotations

import pytest

from tests.hardening.flows import seed
from tests.hardening.topology import start_cluster, stop_all
from tests.helpers import basic, csrf_of, get_code, redeem


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    topo = start_cluster(tmp_path_factory.mktemp("cluster"))
    yield topo
    stop_all(topo["procs"])


def test_full_cycle_on_a_three_master_cluster(make_app, cluster):
    app = make_app(redis_url=cluster["url"], security={"login_rate_per_account": "20/minute"})
    svc = app.extensions["gateway"]
    user, rp = seed(svc)
    client = app.test_client()
    code, params = get_code(client, rp, user, scope="openid profile offline_access")
    tokens = redeem(client, rp, code, params)
    assert tokens.status_code == 200, tokens.get_data(as_text=True)
    tokens = tokens.json
    bearer = {"Authorization": f"Bearer {tokens['access_token']}"}
    assert client.get("/userinfo", headers=bearer).status_code == 200
    r = client.post("/token", headers=basic(rp), data={"grant_type": "refresh_token",
                                                       "refresh_token": tokens["refresh_token"]})
    assert r.status_code == 200
    assert client.post("/introspect", headers=basic(rp), data={"token": tokens["access_token"]}).json["active"]
    page = client.get("/logout").get_data(as_text=True)
    client.post("/logout/confirm", data={"csrf_token": csrf_of(page), "confirm": "yes"})
    assert client.get("/userinfo", headers=bearer).status_code == 401  # session end seen through the cluster
    assert redeem(client, rp, code, params).status_code == 400  # single use, atomically taken
    # keys really are spread over the masters
    import redis

    counts = [redis.Redis(port=p).dbsize() for p in cluster["ports"]]
    assert sum(1 for c in counts if c) >= 2, counts


def test_lockout_and_rate_limits_on_the_cluster(make_app, cluster):
    app = make_app(redis_url=cluster["url"], security={"login_rate_per_account": "1000/minute",
                                                        "lockout_threshold": 3})
    svc = app.extensions["gateway"]
    user, _ = seed(svc, "clusteruser")
    client = app.test_client()
    csrf = csrf_of(client.get("/login").get_data(as_text=True))
    for _ in range(3):
        client.post("/login/local", data={"csrf_token": csrf, "username": user["username"], "password": "bad"})
    r = client.post("/login/local", data={"csrf_token": csrf, **user})
    assert r.headers["Location"].startswith("/login")  # locked: the right password does not log in
    app2 = make_app(redis_url=cluster["url"], security={"login_rate_per_ip": "2/minute"})
    c2 = app2.test_client()
    csrf = csrf_of(c2.get("/login").get_data(as_text=True))
    statuses = [c2.post("/login/local", data={"csrf_token": csrf, "username": "x", "password": "y"},
                        environ_base={"REMOTE_ADDR": "10.9.9.9"}).status_code for _ in range(3)]
    assert statuses == [302, 302, 429]


def test_whole_cluster_down_is_503_not_500(make_app, cluster):
    """Last in this module: it stops the cluster."""
    app = make_app(redis_url=cluster["url"], redis_socket_timeout=0.3)
    client = app.test_client()
    assert client.get("/login").status_code == 200
    stop_all(cluster["procs"])
    for path in ("/login", "/readyz"):
        assert client.get(path).status_code == 503, path
    assert client.get("/healthz").status_code == 200
