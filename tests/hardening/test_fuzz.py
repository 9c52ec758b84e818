"""Property-based fuzzing of the protocol endpoints and login forms with hostile input.

Properties: never a 5xx; never a token, an active introspection or a login for input that does
not hold valid credentials. Derandomized (fixed seed) so CI is reproducible; raise the number
of examples for an occasional long run:

    GATEWAY_FUZZ_EXAMPLES=5000 .venv/bin/pytest tests/hardening/test_fuzz.py -q
"""

from __future__ import annotations

import base64
import json
import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import build_app, make_settings
from tests.helpers import csrf_of

EXAMPLES = int(os.environ.get("GATEWAY_FUZZ_EXAMPLES", "40"))
FUZZ = settings(derandomize=True, max_examples=EXAMPLES, deadline=None, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                       HealthCheck.data_too_large])

HOSTILE = ["' OR '1'='1' --", "\"; DROP TABLE users; --", "<script>alert(1)</script>", "javascript:alert(1)",
           "../../../../etc/passwd", "${jndi:ldap://127.0.0.1/x}", "{{7*7}}", "*)(uid=*))(|(uid=*", "admin)(|(a=*",
           "\r\nSet-Cookie: gw_session=x", "\x00", "%00", "%ff%fe", "\ud800".encode("utf-8", "surrogatepass").decode(
               "utf-8", "replace"), "A" * 9000, "😀" * 300, "http://evil.example/cb", "openid " * 200, "-1", "0",
           "none", "S256", "plain", "authorization_code", "refresh_token", "client_credentials", "a.b.c",
           "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.", "[]", "{}", "null", "true"]
NAMES = ["response_type", "client_id", "redirect_uri", "scope", "state", "nonce", "code_challenge",
         "code_challenge_method", "prompt", "max_age", "acr_values", "login_hint", "request", "grant_type", "code",
         "code_verifier", "refresh_token", "client_secret", "client_assertion", "client_assertion_type", "token",
         "token_type_hint", "username", "password", "directory", "tx", "csrf_token", "id_token_hint"]

values = st.one_of(st.sampled_from(HOSTILE), st.text(max_size=300), st.text(alphabet=st.characters(
    codec="utf-8"), max_size=50))
pairs = st.lists(st.tuples(st.sampled_from(NAMES), values), max_size=12)  # duplicates happen naturally
raw_bytes = st.binary(max_size=3000)
content_types = st.sampled_from(["application/x-www-form-urlencoded", "application/json", "text/plain",
                                 "multipart/form-data; boundary=xyz", "application/x-www-form-urlencoded; charset=gbk",
                                 None])


@pytest.fixture(scope="module")
def fuzz_app(redis_server, tmp_path_factory):
    import redis

    url = redis_server["url"][:-1] + "7"
    redis.Redis.from_url(url).flushdb()
    db = tmp_path_factory.mktemp("fuzz") / "g.sqlite"
    app = build_app(make_settings(url, f"sqlite:///{db}", "http://127.0.0.1:5000", security={
        "lockout_threshold": 1000000, "login_rate_per_ip": "1000000/minute",
        "login_rate_per_account": "1000000/minute"}))
    svc = app.extensions["gateway"]
    svc.accounts.create("fuzzuser", "Fuzz-Pass-2026", name="x")
    record, secret = svc.clients.create(name="门户", redirect_uris=["https://f.weifang.example/cb"],
                                        grant_types=["authorization_code", "refresh_token", "client_credentials"],
                                        scope="openid profile", first_party=True)
    yield app, {"client_id": record.client_id, "client_secret": secret, "redirect_uri": "https://f.weifang.example/cb"}
    svc.audit.stop()


def _encode(pairs_, content_type):
    from urllib.parse import urlencode

    if content_type == "application/json":
        return json.dumps(dict(pairs_)).encode()
    return urlencode(pairs_).encode("utf-8", "surrogatepass")


def _no_server_error(r):
    assert r.status_code < 500, (r.status_code, r.get_data(as_text=True)[:300])


@FUZZ
@given(pairs=pairs, raw=raw_bytes, use_raw=st.booleans())
def test_authorize_never_5xx_never_a_code(fuzz_app, pairs, raw, use_raw):
    app, rp = fuzz_app
    client = app.test_client()
    from urllib.parse import urlencode

    qs = raw if use_raw else urlencode(pairs).encode("utf-8", "surrogatepass")
    for r in (client.get("/authorize", query_string=qs.decode("latin-1")), client.post("/authorize", data=qs, content_type=
                                                                     "application/x-www-form-urlencoded")):
        _no_server_error(r)
        assert "code=" not in r.headers.get("Location", "").split("?", 1)[-1].replace("error_code", "")


@FUZZ
@given(pairs=pairs, raw=raw_bytes, use_raw=st.booleans(), content_type=content_types,
       auth=st.sampled_from(["real-id-wrong-secret", "garbage", "none", "bearer"]))
def test_token_introspect_revoke_never_5xx_never_a_token(fuzz_app, pairs, raw, use_raw, content_type, auth):
    app, rp = fuzz_app
    client = app.test_client()
    headers = {}
    if auth == "real-id-wrong-secret":
        secret = next((v for k, v in pairs if k == "client_secret"), "x")
        if secret == rp["client_secret"]:
            secret += "x"
        headers["Authorization"] = "Basic " + base64.b64encode(f"{rp['client_id']}:{secret}".encode(
            "utf-8", "surrogatepass")).decode()
    elif auth == "garbage":
        headers["Authorization"] = "Basic " + raw[:60].decode("latin-1").replace("\r", "").replace("\n", "")
    elif auth == "bearer":
        token = "".join(v for _, v in pairs)[:500].encode("ascii", "ignore").decode()
        headers["Authorization"] = "Bearer " + token.replace("\r", "").replace("\n", "")
    body = raw if use_raw else _encode([(k, v) for k, v in pairs if not (k == "client_secret"
                                                                         and v == rp["client_secret"])], content_type)
    for path in ("/token", "/introspect", "/revoke"):
        try:
            r = client.post(path, data=body, headers=headers, content_type=content_type)
        except UnicodeEncodeError:
            continue  # the test client cannot send it; no real client could either
        _no_server_error(r)
        text = r.get_data(as_text=True)
        assert "access_token" not in text and '"active": true' not in text.replace('"active":true', '"active": true')


@FUZZ
@given(header=st.one_of(st.sampled_from(HOSTILE), st.text(max_size=400)), method=st.sampled_from(["GET", "POST"]),
       body=raw_bytes)
def test_userinfo_never_5xx_never_claims(fuzz_app, header, method, body):
    app, _ = fuzz_app
    client = app.test_client()
    value = ("Bearer " + header).encode("latin-1", "ignore").decode("latin-1").replace("\r", "").replace("\n", "")
    r = client.open("/userinfo", method=method, headers={"Authorization": value}, data=body)
    _no_server_error(r)
    assert r.status_code in (400, 401, 405) and b'"sub"' not in r.get_data()


@FUZZ
@given(pairs=pairs, path=st.sampled_from(["/login/local", "/login/staff", "/account/password"]),
       content_type=content_types, keep_csrf=st.booleans())
def test_login_forms_never_5xx_never_a_login(fuzz_app, pairs, path, content_type, keep_csrf):
    app, _ = fuzz_app
    client = app.test_client()
    csrf = csrf_of(client.get("/login").get_data(as_text=True))
    fields = [(k, v) for k, v in pairs if not (k == "password" and v == "Fuzz-Pass-2026")]
    if keep_csrf:
        fields = [("csrf_token", csrf), *fields]
    try:
        r = client.post(path, data=_encode(fields, content_type), content_type=content_type)
    except UnicodeEncodeError:
        return
    _no_server_error(r)
    location = r.headers.get("Location", "")
    assert not location.endswith("/") or "/login" in location or location.endswith("/account/password") \
        or r.status_code != 302, location
    assert "/authorize/continue" not in location
    home = client.get("/").get_data(as_text=True)
    assert "您已登录" not in home
