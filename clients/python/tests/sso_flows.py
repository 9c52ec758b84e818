"""Helpers that play the browser's part in a login against the test OP."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlsplit

import requests

from sso_client import AuthRequest, OIDCClient


def through_op(authorize_url: str) -> str:
    """Let the test OP handle the browser's visit to /authorize; return the callback URL it redirects to."""
    resp = requests.get(authorize_url, allow_redirects=False, timeout=5)
    assert resp.status_code == 302, resp.text
    return resp.headers["Location"]


def flask_login(test_client: Any, path: str = "/private") -> Any:
    """Walk the full redirect chain for ``path``; returns the callback's response."""
    resp = test_client.get(path)
    assert resp.status_code == 302 and "/sso/login" in resp.location
    resp = test_client.get(resp.location)
    assert resp.status_code == 302
    return test_client.get(through_op(resp.location))


def client_login(client: OIDCClient, **kwargs: Any) -> tuple[AuthRequest, dict[str, str]]:
    """Start a login with the core client; return the request and the callback parameters."""
    req = client.authorization_url(**kwargs)
    callback = through_op(req.url)
    return req, dict(parse_qsl(urlsplit(callback).query))
