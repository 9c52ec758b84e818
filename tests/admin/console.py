"""Driving the console with Flask's test client."""

from __future__ import annotations

from tests.admin.conftest import next_code
from tests.helpers import csrf_of


def form_post(client, page_url: str, action: str, data: dict, follow: bool = False):
    page = client.get(page_url)
    assert page.status_code == 200, (page_url, page.status_code)
    return client.post(action, data={"csrf_token": csrf_of(page.get_data(as_text=True)), **data},
                       follow_redirects=follow)


def console_login(client, admin: dict, clock) -> None:
    r = form_post(client, "/admin/login", "/admin/login", {"username": admin["username"],
                                                            "password": admin["password"]})
    assert r.status_code == 302 and r.headers["Location"].endswith("/admin/mfa"), r.headers.get("Location")
    r = form_post(client, "/admin/mfa", "/admin/mfa", {"code": next_code(admin, clock)})
    assert r.status_code == 302 and r.headers["Location"].endswith("/admin/"), r.headers.get("Location")
