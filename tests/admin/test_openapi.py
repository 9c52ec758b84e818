"""The OpenAPI document matches the implementation, and every operation survives valid and
invalid input without a 5xx."""

from __future__ import annotations

import re
import secrets

import pytest

API = "/admin/api/v1"
METHODS = {"get", "post", "patch", "put", "delete"}


def documented(doc) -> set[tuple[str, str]]:
    return {(m.upper(), p) for p, ops in doc["paths"].items() for m in ops if m in METHODS}


def implemented(app) -> set[tuple[str, str]]:
    out = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(API + "/") or rule.endpoint == "admin_api.not_found":
            continue
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule[len(API):])
        out |= {(m, path) for m in rule.methods - {"HEAD", "OPTIONS"}}
    return out


def test_document_is_openapi_31_and_matches_the_routes(aclient, admin_app):
    doc = aclient.get(f"{API}/openapi.json").get_json()
    assert doc["openapi"] == "3.1.0"
    assert documented(doc) == implemented(admin_app)
    for path, ops in doc["paths"].items():
        params = set(re.findall(r"{(\w+)}", path))
        for method, op in ops.items():
            declared = {p["name"] for p in op.get("parameters", []) if p["in"] == "path"}
            assert declared == params, (method, path)
    refs = set(re.findall(r'"#/components/schemas/(\w+)"', str(doc).replace("'", '"')))
    assert refs <= set(doc["components"]["schemas"])


def test_document_validates_against_the_openapi_schema(aclient):
    pytest.importorskip("openapi_spec_validator")
    from openapi_spec_validator import validate

    validate(aclient.get(f"{API}/openapi.json").get_json())


def _fill(path: str, values: dict) -> str:
    return re.sub(r"{(\w+)}", lambda m: values[m.group(1)], path)


INVALID_BODIES = [None, "[]", '"x"', "{", '{"name": 5}', '{"redirect_uris": "https://x"}', '{"reason": ["x"]}',
                  '{"min_acr_level": true}', '{"release_policy": []}', '{"version": "2"}']
INVALID_QUERIES = ["?page=-1", "?per_page=100000", "?page=x", "?since=never", "?status=maybe",
                   "?q=" + "%" * 300, "?event=*", "?until=2026-13-45"]


def test_every_operation_with_valid_and_invalid_input_never_5xx(aclient, admin_app, bearer, asvc):
    doc = aclient.get(f"{API}/openapi.json").get_json()
    rp, _ = asvc.clients.create(name="探测", redirect_uris=["https://probe.weifang.example/cb"])
    user = asvc.accounts.create("probe-" + secrets.token_hex(3), "Pw-" + secrets.token_hex(8))
    from gateway.admin import ops_requests

    req = ops_requests.submit(asvc, "dev-probe", "开发者", {"name": "探测申请",
                                                         "redirect_uris": ["https://pr.weifang.example/cb"]})
    good = {"client_id": rp.client_id, "user_id": user.id, "request_id": str(req.id)}
    bad = [{"client_id": "nope", "user_id": "nope", "request_id": "999999"},
           {"client_id": "x" * 300, "user_id": "%00", "request_id": "0"}]
    seen = 0
    for method, path in sorted(documented(doc)):
        op = doc["paths"][path][method.lower()]
        role = re.search(r"Role: (\w+)", op.get("description", "Role: system")).group(1)
        headers = bearer(role if role in ("system", "security", "audit") else "system")
        has_body = "requestBody" in op or method == "PATCH" or path.endswith(("/lock", "/approve"))
        for values in [good, *bad]:
            for query in ["", *INVALID_QUERIES] if method == "GET" else [""]:
                url = API + _fill(path, values) + query
                bodies = [None] if method == "GET" else INVALID_BODIES if has_body else [None, "{"]
                for data in bodies:
                    r = aclient.open(url, method=method, data=data, headers={
                        **headers, **({"Content-Type": "application/json"} if data else {}),
                        **({"If-Match": '"garbage"'} if method == "PATCH" else {})})
                    assert r.status_code < 500, (method, url, data, r.status_code, r.get_data(as_text=True)[:300])
                    if r.status_code >= 400:
                        assert r.mimetype == "application/problem+json", (method, url, r.status_code)
                    seen += 1
    assert seen > 300
