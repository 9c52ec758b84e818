"""private_key_jwt client authentication (OIDC Core §9, RFC 7523)."""

from __future__ import annotations

import secrets
import time

from joserfc import jwt
from joserfc.jwk import ECKey, KeySet

ASSERTION = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


def _assertion(key, client_id, aud, **overrides):
    now = int(time.time())
    claims = {"iss": client_id, "sub": client_id, "aud": aud, "iat": now, "exp": now + 60,
              "jti": secrets.token_urlsafe(12), **overrides}
    return jwt.encode({"alg": "ES256", "kid": key.kid}, claims, key)


def test_private_key_jwt_client_credentials(client, svc):
    key = ECKey.generate_key("P-256", parameters={"kid": "client-key-1"}, private=True)
    record, secret = svc.clients.create(name="密钥认证系统", grant_types=["client_credentials"], scope="profile",
                                        token_endpoint_auth_method="private_key_jwt",
                                        jwks=KeySet([key]).as_dict(private=False))
    assert secret is None
    aud = svc.settings.issuer + "/token"
    good = _assertion(key, record.client_id, aud)
    r = client.post("/token", data={"grant_type": "client_credentials", "client_assertion_type": ASSERTION,
                                    "client_assertion": good})
    assert r.status_code == 200, r.json
    replay = client.post("/token", data={"grant_type": "client_credentials", "client_assertion_type": ASSERTION,
                                         "client_assertion": good})
    assert replay.status_code in (400, 401) and replay.json["error"] == "invalid_client"
    other = ECKey.generate_key("P-256", parameters={"kid": "client-key-1"}, private=True)
    forged = client.post("/token", data={"grant_type": "client_credentials", "client_assertion_type": ASSERTION,
                                         "client_assertion": _assertion(other, record.client_id, aud)})
    assert forged.status_code in (400, 401)
    wrong_aud = client.post("/token", data={"grant_type": "client_credentials", "client_assertion_type": ASSERTION,
                                            "client_assertion": _assertion(key, record.client_id,
                                                                           "https://elsewhere.example/token")})
    assert wrong_aud.status_code in (400, 401)
    expired = client.post("/token", data={"grant_type": "client_credentials", "client_assertion_type": ASSERTION,
                                          "client_assertion": _assertion(key, record.client_id, aud,
                                                                         exp=int(time.time()) - 600)})
    assert expired.status_code in (400, 401)
