"""OIDCClient against the test OP: callback checks, id_token validation, token calls."""

from __future__ import annotations

import time

import pytest
from joserfc.jwk import RSAKey
from sso_flows import client_login as login

from sso_client import (
    AuthorizationError,
    ClientConfig,
    Discovery,
    DiscoveryError,
    InvalidIdToken,
    IssuerMismatch,
    OIDCClient,
    StateMismatch,
    TokenRequestError,
)
from sso_client.acr import acr_satisfies


def test_code_exchange_returns_validated_tokens(client):
    req, params = login(client)
    tokens = client.handle_callback(params, req)
    assert tokens.claims["sub"] == "u-1001" and tokens.claims["nonce"] == req.nonce
    assert tokens.refresh_token and tokens.id_token and not tokens.needs_refresh()
    assert client.userinfo(tokens.access_token)["sub"] == "u-1001"


def test_state_mismatch_is_refused(client):
    req, params = login(client)
    params["state"] = req.state[::-1] + "x"
    with pytest.raises(StateMismatch):
        client.handle_callback(params, req)


def test_error_parameter_raises_authorization_error(client):
    req = client.authorization_url()
    with pytest.raises(AuthorizationError) as exc:
        client.handle_callback({"error": "login_required", "state": req.state}, req)
    assert exc.value.error == "login_required"


def test_iss_parameter_must_be_the_issuer(client):
    req, params = login(client)
    params["iss"] = "https://other.example"
    with pytest.raises(IssuerMismatch):
        client.handle_callback(params, req)


@pytest.mark.parametrize(
    "override",
    [
        {"aud": "someone-else"},
        {"aud": ["portal", "other"]},  # several audiences and no azp
        {"aud": ["portal", "other"], "azp": "other"},
        {"iss": "https://evil.example"},
        {"nonce": "not-the-nonce"},
        {"exp": int(time.time()) - 3600, "iat": int(time.time()) - 7200},
        {"iat": int(time.time()) + 3600},
        {"sub": None},
        {"azp": "other"},
    ],
    ids=["aud", "multi-aud-no-azp", "azp-wrong", "iss", "nonce", "expired", "future-iat", "no-sub", "azp-single"],
)
def test_bad_id_token_claims_are_refused(client, op, override):
    op.id_token_claims = override
    req, params = login(client)
    with pytest.raises(InvalidIdToken):
        client.handle_callback(params, req)


def test_multiple_audiences_with_right_azp_are_accepted(client, op):
    op.id_token_claims = {"aud": ["portal", "other"], "azp": "portal"}
    req, params = login(client)
    assert client.handle_callback(params, req).claims["azp"] == "portal"


def test_expired_within_leeway_is_accepted(client, op):
    op.id_token_claims = {"exp": int(time.time()) - 30}
    req, params = login(client)
    client.handle_callback(params, req)


def test_id_token_signed_by_unknown_key_is_refused(client, op):
    op.id_token_key = RSAKey.generate_key(2048, parameters={"kid": "rsa-1"})  # same kid, wrong key
    req, params = login(client)
    with pytest.raises(InvalidIdToken):
        client.handle_callback(params, req)


def test_tampered_id_token_is_refused(client, op):
    req = client.authorization_url()
    good = op.mint_id_token("portal", req.nonce)
    header, payload, sig = good.split(".")
    import base64
    import json

    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["sub"] = "admin"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    with pytest.raises(InvalidIdToken):
        client.id_tokens.validate(f"{header}.{forged}.{sig}", nonce=req.nonce)
    client.id_tokens.validate(good, nonce=req.nonce)


def test_alg_none_and_hs256_are_refused(client, op):
    import base64
    import hmac as _hmac
    import json

    def b64(obj):
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()

    claims = {"iss": op.issuer, "sub": "u", "aud": "portal", "iat": int(time.time()), "exp": int(time.time()) + 60}
    none_token = f"{b64({'alg': 'none', 'kid': 'rsa-1'})}.{b64(claims)}."
    with pytest.raises(InvalidIdToken):
        client.id_tokens.validate(none_token, nonce=None)
    signing_input = f"{b64({'alg': 'HS256', 'kid': 'rsa-1'})}.{b64(claims)}"
    mac = _hmac.new(b"portal-secret", signing_input.encode(), "sha256").digest()
    hs = signing_input + "." + base64.urlsafe_b64encode(mac).rstrip(b"=").decode()
    with pytest.raises(InvalidIdToken):
        client.id_tokens.validate(hs, nonce=None)


def test_es256_id_token_is_accepted(client, op):
    op.id_token_header = {"alg": "ES256"}
    req, params = login(client)
    assert client.handle_callback(params, req).claims["sub"] == "u-1001"


def test_required_acr_not_met_is_refused(client, op):
    op.honor_acr_values = False
    req, params = login(client, acr_values="urn:sd:tysfrz:loa:3", require_acr=True)
    with pytest.raises(InvalidIdToken):
        client.handle_callback(params, req)


def test_client_secret_post(op, config):
    cfg = ClientConfig(**{**config.__dict__, "token_endpoint_auth_method": "client_secret_post"})
    client = OIDCClient(cfg)
    req, params = login(client)
    client.handle_callback(params, req)
    assert op.last_token_request["method"] == "client_secret_post"


def test_public_client_sends_client_id_and_verifier(op, config):
    cfg = ClientConfig(issuer=op.issuer, client_id="spa", redirect_uri=config.redirect_uri)
    client = OIDCClient(cfg)
    req, params = login(client)
    client.handle_callback(params, req)
    sent = op.last_token_request
    assert sent["method"] == "none" and sent["client_id"] == "spa" and sent["code_verifier"] == req.code_verifier


def test_wrong_code_verifier_fails_at_the_token_endpoint(client):
    req, params = login(client)
    from dataclasses import replace

    with pytest.raises(TokenRequestError) as exc:
        client.handle_callback(params, replace(req, code_verifier="x" * 64))
    assert exc.value.error == "invalid_grant"


def test_refresh_keeps_the_rotated_refresh_token(client, op):
    req, params = login(client)
    first = client.handle_callback(params, req)
    second = client.refresh(first)
    assert second.refresh_token != first.refresh_token and second.claims["sub"] == "u-1001"
    third = client.refresh(second)
    assert third.refresh_token not in (first.refresh_token, second.refresh_token)
    with pytest.raises(TokenRequestError):  # the rotated-out one is reuse: family revoked
        client.refresh(first)
    with pytest.raises(TokenRequestError):
        client.refresh(third)


def test_introspect_and_revoke(client):
    req, params = login(client)
    tokens = client.handle_callback(params, req)
    assert client.introspect(tokens.access_token)["active"] is True
    client.revoke(tokens.refresh_token, "refresh_token")
    with pytest.raises(TokenRequestError):
        client.refresh(tokens)


def test_end_session_url(client, op):
    url = client.end_session_url("a.b.c", state="s1")
    assert url.startswith(f"{op.issuer}/logout?client_id=portal&id_token_hint=a.b.c")
    assert "post_logout_redirect_uri=http%3A%2F%2Flocalhost%2F" in url and url.endswith("state=s1")


def test_discovery_rejects_a_different_issuer(op):
    client = OIDCClient(ClientConfig(issuer=op.issuer + "/", client_id="portal", client_secret="x",
                                     redirect_uri="http://localhost/cb"))
    with pytest.raises(DiscoveryError):
        client.authorization_url()


def test_acr_ranking():
    assert acr_satisfies("urn:sd:tysfrz:loa:3", "urn:sd:tysfrz:loa:2")
    assert not acr_satisfies("urn:sd:tysfrz:loa:1", "urn:sd:tysfrz:loa:2")
    assert acr_satisfies("custom", "custom") and not acr_satisfies("custom", "urn:sd:tysfrz:loa:0")
    assert not acr_satisfies(None, "urn:sd:tysfrz:loa:0")


def test_key_rotation_refetches_jwks_once_per_minute(op, config, clock):
    discovery = Discovery(config.issuer, clock=clock)
    client = OIDCClient(config, discovery=discovery)
    req, params = login(client)
    client.handle_callback(params, req)
    assert op.counts["jwks"] == 1
    clock.advance(61)
    op.rotate_keys()  # the new kid is unknown to the client
    req, params = login(client)
    client.handle_callback(params, req)
    assert op.counts["jwks"] == 2
    # A token with a bogus kid: one more refetch is not allowed within 60 s.
    op.id_token_header = {"kid": "bogus"}
    for _ in range(5):
        req, params = login(client)
        with pytest.raises(InvalidIdToken):
            client.handle_callback(params, req)
    assert op.counts["jwks"] == 2
    clock.advance(60)
    req, params = login(client)
    with pytest.raises(InvalidIdToken):
        client.handle_callback(params, req)
    assert op.counts["jwks"] == 3


def test_rotation_inside_rate_limit_window_waits(op, config, clock):
    client = OIDCClient(config, discovery=Discovery(config.issuer, clock=clock))
    req, params = login(client)
    client.handle_callback(params, req)
    op.rotate_keys()
    clock.advance(10)
    req, params = login(client)
    with pytest.raises(InvalidIdToken):
        client.handle_callback(params, req)
    clock.advance(51)
    req, params = login(client)
    client.handle_callback(params, req)
    assert op.counts["jwks"] == 2


def test_extra_acr_ranks():
    ranks = {"urn:weifang:gateway:loa:staff": 2}
    assert acr_satisfies("urn:weifang:gateway:loa:staff", "urn:sd:tysfrz:loa:2", ranks)
    assert not acr_satisfies("urn:weifang:gateway:loa:staff", "urn:sd:tysfrz:loa:3", ranks)
    assert not acr_satisfies("urn:weifang:gateway:loa:staff", "urn:sd:tysfrz:loa:2")
