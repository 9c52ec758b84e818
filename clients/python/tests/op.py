"""A tiny but real OpenID Provider for the SDK's tests.

It is a test double of the gateway as an HTTP peer: a plain Flask app serving
discovery, JWKS, /authorize (auto-approves), /token (authorization_code with
PKCE, refresh_token with rotation and reuse detection, client_credentials),
/userinfo, /introspect, /revoke and /logout, run by werkzeug in a thread on a
free loopback port. Tests steer it through plain attributes (``user``,
``id_token_claims``, ``refresh_delay`` …) and read ``counts``.
"""

from __future__ import annotations

import base64
import secrets
import threading
import time
import uuid
from collections import Counter
from typing import Any
from urllib.parse import unquote

from authlib.common.urls import add_params_to_uri
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from flask import Flask, jsonify, redirect, request
from joserfc import jwt
from joserfc.jwk import ECKey, KeySet, RSAKey
from werkzeug.serving import make_server

BACKCHANNEL_EVENT = "http://schemas.openid.net/event/backchannel-logout"


class TestOP:
    __test__ = False  # not a pytest test class

    def __init__(self) -> None:
        self.rsa = RSAKey.generate_key(2048, parameters={"kid": "rsa-1", "use": "sig", "alg": "RS256"})
        self.ec = ECKey.generate_key("P-256", parameters={"kid": "ec-1", "use": "sig", "alg": "ES256"})
        self._initial_keys = (self.rsa, self.ec)
        self.clients: dict[str, dict[str, Any]] = {}
        self.app = self._build_app()
        self.server = make_server("127.0.0.1", 0, self.app, threaded=True)
        self.issuer = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.reset()

    def stop(self) -> None:
        self.server.shutdown()
        self.thread.join(5)

    def reset(self) -> None:
        """Back to the initial state between tests."""
        self.rsa, self.ec = self._initial_keys
        self.lock = threading.Lock()
        self.codes: dict[str, dict[str, Any]] = {}
        self.refresh_tokens: dict[str, dict[str, Any]] = {}
        self.revoked_families: set[str] = set()
        self.counts: Counter[str] = Counter()
        self.last_token_request: dict[str, Any] = {}
        self.user: dict[str, Any] = {"sub": "u-1001", "name": "张三", "sid": "sid-1", "acr": "urn:sd:tysfrz:loa:1"}
        self.id_token_claims: dict[str, Any] = {}  # overrides merged into every id_token
        self.id_token_header: dict[str, Any] = {}
        self.id_token_key: Any = None  # sign id_tokens with another key (tampering tests)
        self.access_ttl = 300
        self.refresh_delay = 0.0
        self.honor_acr_values = True
        self.register_client("portal", "portal-secret", ["http://localhost/sso/callback"])
        self.register_client("spa", None, ["http://localhost/sso/callback"])
        self.register_client("svc", "svc-secret", [])

    def register_client(self, client_id: str, secret: str | None, redirect_uris: list[str]) -> None:
        self.clients[client_id] = {"secret": secret, "redirect_uris": redirect_uris}

    # -- key handling ---------------------------------------------------------------

    def rotate_keys(self) -> None:
        """Replace both signing keys with new ones under new kids (old kids disappear)."""
        n = uuid.uuid4().hex[:8]
        self.rsa = RSAKey.generate_key(2048, parameters={"kid": f"rsa-{n}", "use": "sig", "alg": "RS256"})
        self.ec = ECKey.generate_key("P-256", parameters={"kid": f"ec-{n}", "use": "sig", "alg": "ES256"})

    def sign(self, claims: dict[str, Any], header: dict[str, Any], key: Any) -> str:
        header = {"kid": key.kid, **header}
        return jwt.encode(header, claims, key, default_type=None)

    # -- token minting --------------------------------------------------------------

    def mint_id_token(self, client_id: str, nonce: str | None, acr: str | None = None, **extra: Any) -> str:
        now = int(time.time())
        claims = {
            "iss": self.issuer, "sub": self.user["sub"], "aud": client_id, "iat": now, "exp": now + 300,
            "auth_time": now, "sid": self.user["sid"], "name": self.user["name"], "acr": acr or self.user["acr"],
        }
        if nonce is not None:
            claims["nonce"] = nonce
        claims.update(extra)
        claims.update(self.id_token_claims)
        claims = {k: v for k, v in claims.items() if v is not None}
        header = {"alg": "RS256", **self.id_token_header}
        key = self.id_token_key or (self.ec if header["alg"] == "ES256" else self.rsa)
        return self.sign(claims, header, key)

    def mint_access_token(self, client_id: str, scope: str, sub: str | None = None, **overrides: Any) -> str:
        now = int(time.time())
        claims = {
            "iss": self.issuer, "sub": sub or self.user["sub"], "aud": overrides.pop("aud", "https://api.example"),
            "client_id": client_id, "scope": scope, "jti": secrets.token_hex(8), "iat": now,
            "exp": now + self.access_ttl,
        }
        header = {"alg": "ES256", "typ": overrides.pop("typ", "at+jwt")}
        claims.update(overrides)
        return self.sign(claims, header, self.ec)

    def mint_logout_token(self, aud: str = "portal", header: dict[str, Any] | None = None, **overrides: Any) -> str:
        now = int(time.time())
        claims = {
            "iss": self.issuer, "aud": aud, "iat": now, "exp": now + 120, "jti": secrets.token_hex(8),
            "sub": self.user["sub"], "sid": self.user["sid"], "events": {BACKCHANNEL_EVENT: {}},
        }
        claims.update(overrides)
        claims = {k: v for k, v in claims.items() if v is not None}
        return self.sign(claims, {"alg": "RS256", "typ": "logout+jwt", **(header or {})}, self.rsa)

    def decode_access_token(self, token: str) -> dict[str, Any] | None:
        try:
            claims = jwt.decode(token, self.ec, algorithms=["ES256"]).claims
        except Exception:
            return None
        return claims if claims["exp"] > time.time() else None

    # -- the Flask app --------------------------------------------------------------

    def _authenticate_client(self) -> tuple[str | None, str | None]:
        """Returns (client_id, error)."""
        auth = request.headers.get("Authorization", "")
        if auth.startswith("Basic "):
            raw = base64.b64decode(auth[6:]).decode()
            cid, _, secret = raw.partition(":")
            cid, secret = unquote(cid), unquote(secret)
            method = "client_secret_basic"
        else:
            cid, secret = request.form.get("client_id"), request.form.get("client_secret")
            method = "client_secret_post" if secret is not None else "none"
        self.last_token_request = {"client_id": cid, "method": method, **request.form.to_dict()}
        client = self.clients.get(cid or "")
        if client is None:
            return None, "invalid_client"
        if client["secret"] is None:
            return (cid, None) if method == "none" else (None, "invalid_client")
        if secret is None or not secrets.compare_digest(secret, client["secret"]):
            return None, "invalid_client"
        return cid, None

    def _issue(self, client_id: str, scope: str, family: str, id_token: str | None) -> dict[str, Any]:
        refresh = secrets.token_urlsafe(24)
        self.refresh_tokens[refresh] = {"client_id": client_id, "scope": scope, "family": family, "used": False}
        body = {
            "access_token": self.mint_access_token(client_id, scope),
            "token_type": "Bearer", "expires_in": self.access_ttl, "refresh_token": refresh, "scope": scope,
        }
        if id_token:
            body["id_token"] = id_token
        return body

    def _build_app(self) -> Flask:
        app = Flask("test_op")
        op = self

        def err(code: str, status: int = 400) -> Any:
            return jsonify({"error": code}), status

        @app.get("/.well-known/openid-configuration")
        def discovery() -> Any:
            op.counts["discovery"] += 1
            base = op.issuer
            return jsonify({
                "issuer": base, "authorization_endpoint": f"{base}/authorize", "token_endpoint": f"{base}/token",
                "userinfo_endpoint": f"{base}/userinfo", "jwks_uri": f"{base}/jwks", "end_session_endpoint": f"{base}/logout",
                "introspection_endpoint": f"{base}/introspect", "revocation_endpoint": f"{base}/revoke",
                "id_token_signing_alg_values_supported": ["RS256", "ES256"], "code_challenge_methods_supported": ["S256"],
            })

        @app.get("/jwks")
        def jwks() -> Any:
            op.counts["jwks"] += 1
            return jsonify(KeySet([op.rsa, op.ec]).as_dict(private=False))

        @app.get("/authorize")
        def authorize() -> Any:
            a = request.args
            client = op.clients.get(a.get("client_id", ""))
            if client is None or a.get("redirect_uri") not in client["redirect_uris"]:
                return "bad client or redirect_uri", 400
            if a.get("response_type") != "code" or a.get("code_challenge_method") != "S256":
                return redirect(add_params_to_uri(a["redirect_uri"], [("error", "invalid_request"), ("state", a.get("state", ""))]))
            acr = op.user["acr"]
            if a.get("acr_values") and op.honor_acr_values:
                acr = a["acr_values"].split()[0]
            code = secrets.token_urlsafe(16)
            op.codes[code] = {"client_id": a["client_id"], "redirect_uri": a["redirect_uri"], "nonce": a.get("nonce"),
                              "challenge": a["code_challenge"], "scope": a.get("scope", ""), "acr": acr}
            return redirect(add_params_to_uri(a["redirect_uri"], [("code", code), ("state", a.get("state", "")), ("iss", op.issuer)]))

        @app.post("/token")
        def token() -> Any:
            cid, error = op._authenticate_client()
            if error:
                return err(error, 401)
            grant = request.form.get("grant_type")
            op.counts[f"token:{grant}"] += 1
            if grant == "authorization_code":
                with op.lock:
                    code = op.codes.pop(request.form.get("code", ""), None)
                if code is None or code["client_id"] != cid or code["redirect_uri"] != request.form.get("redirect_uri"):
                    return err("invalid_grant")
                if create_s256_code_challenge(request.form.get("code_verifier", "")) != code["challenge"]:
                    return err("invalid_grant")
                id_token = op.mint_id_token(cid, code["nonce"], acr=code["acr"])
                return jsonify(op._issue(cid, code["scope"], secrets.token_hex(8), id_token))
            if grant == "refresh_token":
                time.sleep(op.refresh_delay)
                with op.lock:
                    rt = op.refresh_tokens.get(request.form.get("refresh_token", ""))
                    if rt is None or rt["client_id"] != cid or rt["family"] in op.revoked_families:
                        return err("invalid_grant")
                    if rt["used"]:
                        op.revoked_families.add(rt["family"])  # reuse: revoke the family
                        op.counts["refresh_reuse"] += 1
                        return err("invalid_grant")
                    rt["used"] = True
                    return jsonify(op._issue(cid, rt["scope"], rt["family"], op.mint_id_token(cid, None)))
            if grant == "client_credentials":
                scope = request.form.get("scope", "")
                return jsonify({"access_token": op.mint_access_token(cid, scope, sub=cid), "token_type": "Bearer",
                                "expires_in": op.access_ttl, "scope": scope})
            return err("unsupported_grant_type")

        @app.get("/userinfo")
        def userinfo() -> Any:
            auth = request.headers.get("Authorization", "")
            claims = op.decode_access_token(auth[7:]) if auth.startswith("Bearer ") else None
            if claims is None:
                return err("invalid_token", 401)
            return jsonify({"sub": claims["sub"], "name": op.user["name"]})

        @app.post("/introspect")
        def introspect() -> Any:
            cid, error = op._authenticate_client()
            if error:
                return err(error, 401)
            op.counts["introspect"] += 1
            claims = op.decode_access_token(request.form.get("token", ""))
            return jsonify({"active": True, **claims} if claims else {"active": False})

        @app.post("/revoke")
        def revoke() -> Any:
            cid, error = op._authenticate_client()
            if error:
                return err(error, 401)
            rt = op.refresh_tokens.get(request.form.get("token", ""))
            if rt:
                op.revoked_families.add(rt["family"])
            return "", 200

        @app.get("/logout")
        def logout() -> Any:
            return jsonify(request.args.to_dict())

        return app
