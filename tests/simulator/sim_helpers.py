"""Helpers for the simulator tests: the seed, a browser driver, page and redirect parsing."""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import requests

REPO = Path(__file__).resolve().parents[2]
SHIPPED_SEED = REPO / "simulators" / "provincial" / "seed.json"
GATEWAY_BACK = "http://127.0.0.1:5000/federation/provincial/callback"
ZWFW_BACK = "https://zwfw.weifang.example/sso/callback"
BDC_BACK = "https://bdc.weifang.example/sso/callback"
QYKB_BACK = "https://qykb.weifang.example/sso/callback"
SMS = "123456"


def shipped_seed() -> dict:
    return json.loads(SHIPPED_SEED.read_text(encoding="utf-8"))


def app_word(seed: dict, app_mark: str) -> str:
    return next(a["appWord"] for a in seed["apps"] if a["appMark"] == app_mark)


FIELD = re.compile(r'name="(tx|csrf)" value="([^"]+)"')


class Browser:
    """Drives the HTML pages with plain requests (cookies kept, redirects not followed)."""

    def __init__(self, base_url: str):
        self.base = base_url
        self.http = requests.Session()

    def get(self, path: str, **params) -> requests.Response:
        return self.http.get(self.base + path, params=params, allow_redirects=False, timeout=10)

    def submit(self, page: requests.Response, action: str, **fields) -> requests.Response:
        hidden = dict(FIELD.findall(page.text))
        return self.http.post(self.base + action, data={**hidden, **fields}, allow_redirects=False, timeout=10)

    def start(self, app_mark: str, back_url: str, user_type: int = 1, path: str = "/jis-web/login",
              **extra) -> requests.Response:
        return self.get(path, appMark=app_mark, userType=str(user_type), backUrl=back_url, **extra)

    def authenticate(self, page: requests.Response, login: str, password: str | None = None,
                     sms: str = SMS) -> requests.Response:
        r = self.submit(page, "/jis-web/login/password", loginName=login, password=password or f"{login}-pw")
        if 'action="/jis-web/login/sms"' not in r.text:
            return r
        return self.submit(r, "/jis-web/login/sms", smsCode=sms)

    def login(self, app_mark: str, back_url: str, login: str, user_type: int = 1, **extra) -> requests.Response:
        return self.authenticate(self.start(app_mark, back_url, user_type, **extra), login)


def ticket_from(resp: requests.Response, back_url: str) -> str:
    assert resp.status_code == 302, resp.text[:500]
    location = resp.headers["Location"]
    assert location.startswith(back_url)
    return parse_qs(urlsplit(location).query)["ticket"][0]


def is_page(resp: requests.Response, action: str) -> bool:
    return resp.status_code == 200 and f'action="{action}"' in resp.text


def error_code(resp: requests.Response) -> str | None:
    m = re.search(r'id="error-code">(\d+)<', resp.text)
    return m.group(1) if m else None
