"""政务业务接口 — a business-system API (resource server) on the SDK (port 5004).

* ``GET /api/sbj/insurance`` — a citizen's social-insurance record; needs a user token of an allowed
  portal carrying scope ``cn_id`` (records are keyed by the real-name identity).
* ``GET /api/qykb/company`` — the unit's registration and credit; needs scope ``corp``. The unit is
  read from the gateway's userinfo with the caller's token (never from a request parameter), and the
  credit record is fetched from the data-exchange endpoint below with this API's *own*
  client_credentials token (service to service).
* ``GET /exchange/credit/<uscc>`` — the data-sharing exchange; accepts only service tokens issued to
  this API's own client id (``aud``) with scope ``corp``.

Tokens are verified locally (RFC 9068 JWT, JWKS cached): no call to the gateway per request.
The gateway issues only its own scopes, so the API keys access on ``cn_id`` and ``corp``; a
department-specific scope (e.g. ``sbj:read``) would need the gateway to support it.
"""

from __future__ import annotations

import hashlib
import threading
from typing import Any

import requests
from flask import Flask, g, jsonify, request

from sso_client import AccessTokenVerifier, ClientCredentials, SSOError
from sso_client.resource import require_token

from ..common import DEFAULT_ISSUER, discovery, settings

DEFAULTS = {
    "SSO_ISSUER": DEFAULT_ISSUER,
    "SSO_CLIENT_ID": "wf-api",
    "SSO_CLIENT_SECRET": None,
    "API_ALLOWED_CLIENTS": "wf-sbj,wf-qykb",
    "EXCHANGE_URL": "http://127.0.0.1:5004",
    "SSO_JWKS_MIN_REFETCH_INTERVAL": None,
}
SERVICE_SCOPE = "corp"


def _digest(value: str) -> int:
    return int.from_bytes(hashlib.sha256(value.encode()).digest()[:4], "big")


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """The API; ``config`` overrides the environment (see :mod:`..common`)."""
    cfg = settings(config, DEFAULTS)
    app = Flask(__name__)
    app.config.update({k: v for k, v in cfg.items() if k.isupper()})
    issuer = str(cfg["SSO_ISSUER"])
    client_id = str(cfg["SSO_CLIENT_ID"])
    keys = discovery(cfg)  # one JWKS cache for both verifiers
    allowed = [c.strip() for c in str(cfg["API_ALLOWED_CLIENTS"]).split(",") if c.strip()]
    # User tokens: aud is the portal that obtained the token, so the audience is the list of portals.
    users = AccessTokenVerifier(issuer, audience=allowed, discovery=keys, cache_size=10_000)
    # Service tokens for the exchange: only this API's own client_credentials tokens.
    services = AccessTokenVerifier(issuer, audience=client_id, discovery=keys)
    exchange = str(cfg["EXCHANGE_URL"]).rstrip("/")
    http = requests.Session()
    lock = threading.Lock()
    source: dict[str, ClientCredentials] = {}

    def service_token() -> str:
        with lock:
            if "cc" not in source:
                source["cc"] = ClientCredentials(issuer=issuer, client_id=client_id,
                                                 client_secret=str(cfg["SSO_CLIENT_SECRET"] or ""),
                                                 scope=SERVICE_SCOPE)
            cc = source["cc"]
        return cc.get_token()

    def call_exchange(path: str) -> requests.Response:
        r = http.get(exchange + path, headers={"Authorization": f"Bearer {service_token()}"}, timeout=5)
        if r.status_code == 401:  # revoked or keys rotated: one fresh token
            source["cc"].invalidate()
            r = http.get(exchange + path, headers={"Authorization": f"Bearer {service_token()}"}, timeout=5)
        return r

    @app.get("/api/sbj/insurance")
    @require_token(scope="cn_id", verifier=users)
    def insurance():
        claims = g.token_claims
        n = _digest(claims["sub"])
        return {
            "status": "正常参保",
            "schemes": [{"name": "企业职工基本养老保险", "months": 60 + n % 120},
                        {"name": "职工基本医疗保险", "months": 36 + n % 96},
                        {"name": "失业保险", "months": 24 + n % 60}],
            "caller": claims["client_id"],
            "acr": claims.get("acr"),
        }

    @app.get("/api/qykb/company")
    @require_token(scope="corp", verifier=users)
    def company():
        claims = g.token_claims
        try:
            info = http.get(keys.endpoint("userinfo_endpoint"), timeout=5,
                            headers={"Authorization": request.headers["Authorization"]})
        except requests.RequestException:
            return jsonify(error="gateway_unavailable"), 502
        corp = info.json().get("corp") if info.status_code == 200 else None
        if not corp:
            return jsonify(error="no_corp", detail="the token does not act for a unit"), 403
        try:
            credit = call_exchange(f"/exchange/credit/{corp['uscc']}")
        except (requests.RequestException, SSOError):  # the exchange being down must not break the page
            app.logger.exception("exchange call failed")
            credit = None
        return {
            "uscc": corp["uscc"],
            "registration": "存续（在营、开业、在册）",
            "credit": credit.json() if credit is not None and credit.status_code == 200 else {"level": "暂不可用"},
            "caller": claims["client_id"],
        }

    @app.get("/exchange/credit/<uscc>")
    @require_token(scope=SERVICE_SCOPE, verifier=services)
    def credit(uscc: str):
        return {"uscc": uscc, "level": "A级（守信）" if _digest(uscc) % 5 else "B级",
                "served_to": g.token_claims["client_id"]}

    @app.get("/healthz")
    def healthz():
        return {"status": "ok"}

    return app
