"""Small HTTP helpers shared by the modules that talk to the gateway."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote

import requests

from .errors import TokenRequestError

logger = logging.getLogger("sso_client")


def client_auth(
    data: dict[str, Any], client_id: str, client_secret: str | None, method: str
) -> tuple[dict[str, Any], requests.auth.AuthBase | None]:
    """Apply OAuth client authentication to a form body; returns (body, requests auth)."""
    data = dict(data)
    if method == "client_secret_basic":
        # RFC 6749 §2.3.1: id and secret are form-urlencoded before Basic encoding.
        return data, requests.auth.HTTPBasicAuth(quote(client_id, safe=""), quote(client_secret or "", safe=""))
    data["client_id"] = client_id
    if method == "client_secret_post":
        data["client_secret"] = client_secret or ""
    return data, None


def post_form(
    http: requests.Session,
    url: str,
    data: dict[str, Any],
    *,
    auth: requests.auth.AuthBase | None,
    timeout: float,
    what: str,
    expect_json: bool = True,
) -> dict[str, Any]:
    """POST a form to an OAuth endpoint and return the JSON body; OAuth errors raise TokenRequestError."""
    try:
        resp = http.post(url, data=data, auth=auth, timeout=timeout, headers={"Accept": "application/json"})
    except requests.RequestException as exc:
        logger.warning("%s request failed: %s", what, type(exc).__name__)
        raise TokenRequestError("temporarily_unavailable", f"{what}: {type(exc).__name__}") from exc
    body: Any = None
    if resp.content:
        try:
            body = resp.json()
        except ValueError:
            body = None
    if resp.status_code >= 400:
        err = body.get("error") if isinstance(body, dict) else None
        desc = body.get("error_description") if isinstance(body, dict) else None
        logger.info("%s refused: status=%s error=%s", what, resp.status_code, err)
        raise TokenRequestError(err or "server_error", desc, resp.status_code)
    if not expect_json:
        return {}
    if not isinstance(body, dict):
        raise TokenRequestError("invalid_response", f"{what}: response is not a JSON object", resp.status_code)
    return body


def new_session() -> requests.Session:
    """A requests session with an identifying User-Agent."""
    s = requests.Session()
    s.headers["User-Agent"] = "sso-client-python/0.1"
    return s
