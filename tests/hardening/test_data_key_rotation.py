"""Rotating data_key: the new key encrypts, old keys listed in old_data_keys still decrypt."""

from __future__ import annotations

import base64
import os

from tests.conftest import build_app
from tests.hardening.flows import seed
from tests.helpers import basic, get_code, redeem


def test_new_data_key_with_the_old_one_listed_keeps_keys_and_tokens_working(make_app):
    app = make_app()
    svc = app.extensions["gateway"]
    user, rp = seed(svc)
    client = app.test_client()
    code, params = get_code(client, rp, user)
    old_token = redeem(client, rp, code, params).json["access_token"]
    old_ciphertext = svc.cipher.encrypt("370702199003071230", context="test")

    new_key = base64.b64encode(os.urandom(32)).decode()
    rotated = build_app(svc.settings.replace(data_key=new_key, old_data_keys=(svc.settings.data_key,)))
    rsvc = rotated.extensions["gateway"]
    c2 = rotated.test_client()
    # signing keys (encrypted with the old key) still sign; tokens issued before still resolve their user
    assert c2.post("/token", data={"grant_type": "client_credentials"}, headers=basic(rp)).status_code == 200
    assert c2.get("/userinfo", headers={"Authorization": f"Bearer {old_token}"}).status_code == 200
    assert rsvc.cipher.decrypt(old_ciphertext, context="test") == b"370702199003071230"
    fresh = rsvc.cipher.encrypt("x", context="test")
    assert fresh.split(":")[1] != old_ciphertext.split(":")[1]  # new writes carry the new key id
    rsvc.audit.stop()


def test_reencrypt_moves_everything_to_the_new_key_so_the_old_one_can_go(make_app):
    from sqlalchemy import select

    from gateway.account.models import FederatedIdentity
    from gateway.federation.base import Identity

    app = make_app()
    svc = app.extensions["gateway"]
    user, rp = seed(svc)
    svc.identities.link(Identity(connector="provincial", upstream_id="u-rekey", auth_time=0, user_type="natural",
                                 claims={"name": "张三", "cn_id_number": "370702199003071230"}))
    new_key = base64.b64encode(os.urandom(32)).decode()
    rotated = build_app(svc.settings.replace(data_key=new_key, old_data_keys=(svc.settings.data_key,)))
    result = rotated.test_cli_runner().invoke(args=["data", "reencrypt"])
    assert result.exit_code == 0 and "old_data_keys can be removed" in result.output, result.output
    rotated.extensions["gateway"].audit.stop()
    only_new = build_app(svc.settings.replace(data_key=new_key, old_data_keys=()))
    nsvc = only_new.extensions["gateway"]
    with nsvc.db.session() as s:
        fi = s.scalar(select(FederatedIdentity).where(FederatedIdentity.upstream_id == "u-rekey"))
    assert nsvc.identities.claims(fi.user_id, fi.id)["cn_id_number"] == "370702199003071230"
    assert only_new.test_client().post("/token", data={"grant_type": "client_credentials"},
                                       headers=basic(rp)).status_code == 200
    nsvc.audit.stop()
    svc.audit.stop()
