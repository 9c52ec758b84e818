"""Account lockout: 5 failures in the window lock the account; the answer never tells which case it is."""

from __future__ import annotations

import re

from tests.helpers import csrf_of


def _attempt(client, csrf, username, password):
    r = client.post("/login/local", data={"csrf_token": csrf, "username": username, "password": password})
    page = client.get(r.headers["Location"]).get_data(as_text=True) if r.status_code == 302 else ""
    flash = re.findall(r'class="flash error"[^>]*>([^<]*)<', page)
    return r.status_code, r.headers.get("Location", ""), flash


def test_five_failures_lock_the_account_and_every_refusal_looks_the_same(make_app):
    app = make_app(security={"lockout_threshold": 5})
    svc = app.extensions["gateway"]
    svc.accounts.create("lockme", "Right-Pass-2026", name="x")
    client = app.test_client()
    csrf = csrf_of(client.get("/login").get_data(as_text=True))
    unknown = _attempt(client, csrf, "no-such-user", "Right-Pass-2026")
    wrong = [_attempt(client, csrf, "lockme", f"Wrong-{i}") for i in range(5)]
    locked = _attempt(client, csrf, "lockme", "Right-Pass-2026")  # right password, locked account
    assert unknown == wrong[0] == wrong[-1] == locked  # same status, same redirect, same message
    assert locked[2] and locked[1].startswith("/login")
    # the lock is per account: another account still logs in
    svc.accounts.create("other", "Right-Pass-2026", name="y")
    assert _attempt(client, csrf, "other", "Right-Pass-2026")[1] == "/"
    # an administrator unlocks it
    svc.lockout.unlock("local:lockme")
    assert _attempt(client, csrf, "lockme", "Right-Pass-2026")[1] == "/"
