from tests.helpers import get_code, redeem


def test_discovery(client):
    r = client.get("/.well-known/openid-configuration")
    assert r.status_code == 200
    assert r.json["code_challenge_methods_supported"] == ["S256"]


def test_code_flow(client, rp, user):
    code, params = get_code(client, rp, user)
    r = redeem(client, rp, code, params)
    assert r.status_code == 200, r.get_data(as_text=True)
    assert "id_token" in r.json and "refresh_token" in r.json
    info = client.get("/userinfo", headers={"Authorization": f"Bearer {r.json['access_token']}"})
    assert info.status_code == 200, info.get_data(as_text=True)
    assert info.json["name"] == "测试用户"
