"""Service-to-service calls: the client_credentials grant with a cached token."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import requests

from ._http import client_auth, new_session, post_form
from .discovery import Discovery
from .errors import ConfigurationError, TokenRequestError

logger = logging.getLogger("sso_client")


class ClientCredentials:
    """Obtains and caches an access token for a business system calling another API.

    >>> cc = ClientCredentials(issuer="https://sso.example.gov.cn", client_id="tax-api",
    ...                        client_secret="…", scope="permits.read")
    >>> requests.get(url, headers={"Authorization": f"Bearer {cc.get_token()}"})

    Thread-safe: concurrent callers share one token and one renewal.

    :param token_endpoint: the token endpoint URL; or give ``issuer`` to discover it.
    :param skew: renew this many seconds before the token expires.
    :param auth_method: ``client_secret_basic`` (default) or ``client_secret_post``.
    """

    def __init__(
        self,
        token_endpoint: str | None = None,
        client_id: str = "",
        client_secret: str = "",
        scope: str | None = None,
        *,
        issuer: str | None = None,
        auth_method: str = "client_secret_basic",
        skew: float = 30,
        http: requests.Session | None = None,
        timeout: float = 5,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not token_endpoint and not issuer:
            raise ConfigurationError("token_endpoint or issuer is required")
        if not client_id or not client_secret:
            raise ConfigurationError("client_id and client_secret are required")
        self.http = http or new_session()
        self._endpoint = token_endpoint
        self._discovery = Discovery(issuer, http=self.http, timeout=timeout) if issuer and not token_endpoint else None
        self.client_id = client_id
        self.client_secret = client_secret
        self.scope = scope
        self.auth_method = auth_method
        self.skew = skew
        self.timeout = timeout
        self.clock = clock
        self._lock = threading.Lock()
        self._token: str | None = None
        self._expires_at = 0.0

    def get_token(self) -> str:
        """A valid access token, fetched anew only when the cached one is about to expire."""
        with self._lock:
            if self._token is None or self.clock() >= self._expires_at - self.skew:
                self._fetch()
            assert self._token is not None
            return self._token

    def invalidate(self) -> None:
        """Forget the cached token (e.g. after the API answered 401)."""
        with self._lock:
            self._token = None

    def _fetch(self) -> None:
        data: dict[str, Any] = {"grant_type": "client_credentials"}
        if self.scope:
            data["scope"] = self.scope
        form, auth = client_auth(data, self.client_id, self.client_secret, self.auth_method)
        endpoint = self._endpoint or self._discovery.endpoint("token_endpoint")  # type: ignore[union-attr]
        body = post_form(self.http, endpoint, form, auth=auth, timeout=self.timeout, what="client_credentials")
        token = body.get("access_token")
        if not isinstance(token, str):
            raise TokenRequestError("invalid_response", "no access_token in response")
        try:
            expires_in = float(body.get("expires_in", 300))
        except (TypeError, ValueError):
            expires_in = 300.0
        self._token = token
        self._expires_at = self.clock() + expires_in
        logger.debug("obtained client_credentials token, expires in %ss", expires_in)
