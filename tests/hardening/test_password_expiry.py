"""An expired local password authenticates but does not log in until it is changed under the policy."""

from __future__ import annotations

from sqlalchemy import update

from gateway.account.models import User
from tests.helpers import authorize_url, csrf_of, query, redeem


def _age_password(svc, username: str, days: int) -> None:
    with svc.db.session() as s:
        s.execute(update(User).where(User.username == username)
                  .values(password_changed_at=int(svc.clock()) - days * 86400))


def _rp(svc):
    record, secret = svc.clients.create(name="门户", redirect_uris=["https://p.weifang.example/cb"],
                                        grant_types=["authorization_code"], scope="openid profile", first_party=True)
    return {"client_id": record.client_id, "client_secret": secret, "redirect_uri": "https://p.weifang.example/cb"}


def test_expired_password_must_be_changed_before_the_login_completes(make_app):
    app = make_app(security={"password_max_age_days": 90})
    svc = app.extensions["gateway"]
    svc.accounts.create("expiring", "Old-Pass-2025", name="到期用户")
    _age_password(svc, "expiring", 91)
    rp = _rp(svc)
    client = app.test_client()
    url, params = authorize_url(rp)
    login = client.get(url).headers["Location"]
    html = client.get(login).get_data(as_text=True)
    r = client.post("/login/local", data={"csrf_token": csrf_of(html), "tx": query(login)["tx"],
                                          "username": "expiring", "password": "Old-Pass-2025"})
    assert r.status_code == 302 and r.headers["Location"].endswith("/account/password")
    # not logged in yet: the pending authorization sends the browser back to the login page
    again = client.get(url)
    assert "/login" in again.headers["Location"]
    page = client.get("/account/password").get_data(as_text=True)
    assert "密码已过期" in page
    csrf = csrf_of(page)

    def change(old, new, confirm=None):
        return client.post("/account/password", data={"csrf_token": csrf, "old_password": old, "new_password": new,
                                                       "confirm_password": new if confirm is None else confirm})

    for old, new in (("Old-Pass-2025", "Old-Pass-2025"),   # reuse
                     ("Old-Pass-2025", "short1A"),          # too short
                     ("Old-Pass-2025", "alllowercase"),     # one class
                     ("Old-Pass-2025", "Expiring"),         # the username (and too few classes)
                     ("wrong-Old-1", "New-Pass-2026")):     # wrong current password
        r = change(old, new)
        assert r.headers["Location"].endswith("/account/password"), (old, new)
    assert change("Old-Pass-2025", "New-Pass-2026", "Different-2026").headers["Location"].endswith("/account/password")
    r = change("Old-Pass-2025", "New-Pass-2026")
    assert "/authorize/continue" in r.headers["Location"]
    r = client.get(r.headers["Location"])
    assert r.headers["Location"].startswith(rp["redirect_uri"])
    assert redeem(client, rp, query(r.headers["Location"])["code"], params).status_code == 200
    assert not svc.accounts.password_expired(svc.accounts.find("expiring").id)


def test_passwords_do_not_expire_when_max_age_is_zero(make_app):
    app = make_app()
    svc = app.extensions["gateway"]
    svc.accounts.create("forever", "Old-Pass-2025", name="x")
    _age_password(svc, "forever", 3650)
    client = app.test_client()
    csrf = csrf_of(client.get("/login").get_data(as_text=True))
    r = client.post("/login/local", data={"csrf_token": csrf, "username": "forever", "password": "Old-Pass-2025"})
    assert r.headers["Location"].endswith("/")


def test_change_page_without_a_login_goes_to_the_login_page(make_app):
    client = make_app().test_client()
    assert "/login" in client.get("/account/password").headers["Location"]
