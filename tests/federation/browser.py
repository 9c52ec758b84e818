"""A browser stand-in that walks the whole chain: portal -> gateway -> province -> gateway -> portal."""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit

import requests

from tests.helpers import query

HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)"')


class ChainBrowser:
    def __init__(self):
        self.http = requests.Session()
        self.pages: list[str] = []

    def _hidden(self, html: str) -> dict:
        return dict(HIDDEN.findall(html))

    def post(self, url: str, data: dict) -> requests.Response:
        return self.http.post(url, data=data, allow_redirects=False, timeout=15)

    def run(self, url: str, *, stop_at: str, login: str | None = None, user_type: int = 1, corp: str | None = None,
            raise_level: bool = True, consent: bool = True, max_steps: int = 20) -> requests.Response:
        """Follow the chain until a redirect to ``stop_at``; answers each page on the way."""
        r = self.http.get(url, allow_redirects=False, timeout=15)
        for _ in range(max_steps):
            if r.status_code in (301, 302, 303):
                nxt = urljoin(r.url, r.headers["Location"])
                if nxt.startswith(stop_at):
                    r.final_url = nxt
                    return r
                r = self.http.get(nxt, allow_redirects=False, timeout=15)
                continue
            html = r.text
            self.pages.append(html)
            base = "{0.scheme}://{0.netloc}".format(urlsplit(r.url))
            if r.status_code != 200 or 'class="flash error"' in html:
                return r  # an error page, or the login page telling the user what went wrong
            if 'action="/federation/provincial/start"' in html:
                r = self.post(base + "/federation/provincial/start", {**self._hidden(html), "user_type": str(user_type)})
            elif 'action="/jis-web/login/password"' in html:
                assert login, "the province asks for a login"
                r = self.post(base + "/jis-web/login/password",
                              {**self._hidden(html), "loginName": login, "password": f"{login}-pw"})
            elif 'action="/jis-web/login/sms"' in html:
                r = self.post(base + "/jis-web/login/sms", {**self._hidden(html), "smsCode": "123456"})
            elif 'action="/jis-web/login/raise-level"' in html:
                if not raise_level:
                    return r
                r = self.post(base + "/jis-web/login/raise-level", self._hidden(html))
            elif 'action="/jis-web/login/corp"' in html:
                choice = corp or re.search(r'name="corpId" value="([^"]+)"', html).group(1)
                r = self.post(base + "/jis-web/login/corp", {**self._hidden(html), "corpId": choice})
            elif 'name="decision"' in html and consent:
                r = self.post(r.url, {**self._hidden(html), "decision": "allow"})
            else:
                return r
        raise AssertionError("too many steps")


def code_of(response) -> str:
    return query(response.final_url)["code"]
