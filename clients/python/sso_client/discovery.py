"""Provider metadata (OpenID Connect Discovery 1.0) and signing keys (JWKS), cached."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import requests
from joserfc.errors import JoseError
from joserfc.jwk import ECKey, KeySet, RSAKey

from ._http import new_session
from .errors import DiscoveryError, KeyNotFound

logger = logging.getLogger("sso_client")

#: which key type each supported signature algorithm needs
ALG_KTY = {"RS256": "RSA", "ES256": "EC"}


class Discovery:
    """Fetches and caches the gateway's discovery document and JWKS.

    Nothing is fetched until first use. The metadata and the JWKS are cached for
    ``ttl`` seconds. When a token names a ``kid`` that is not in the cached JWKS
    (the gateway rotated its keys), the JWKS is fetched again at once, but at most
    once per ``min_refetch_interval`` seconds, so a flood of tokens with bogus
    ``kid`` values cannot turn the SDK into an amplifier against the gateway.
    All methods are thread-safe.

    :param issuer: the issuer URL; the discovery document's ``issuer`` must equal it exactly.
    :param http: a ``requests.Session`` to use (one is created otherwise).
    :param timeout: HTTP timeout in seconds.
    :param ttl: cache lifetime of metadata and JWKS, in seconds (default 1 h).
    :param min_refetch_interval: minimum seconds between JWKS refetches caused by an unknown ``kid``.
    :param clock: monotonic clock seam for tests.
    """

    def __init__(
        self,
        issuer: str,
        *,
        http: requests.Session | None = None,
        timeout: float = 5,
        ttl: float = 3600,
        min_refetch_interval: float = 60,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.issuer = issuer
        self.http = http or new_session()
        self.timeout = timeout
        self.ttl = ttl
        self.min_refetch_interval = min_refetch_interval
        self.clock = clock
        self._lock = threading.RLock()
        self._metadata: dict[str, Any] | None = None
        self._metadata_at = 0.0
        self._keys: dict[str | None, RSAKey | ECKey] = {}
        self._jwks_at: float | None = None

    @classmethod
    def from_documents(
        cls, metadata: dict[str, Any], jwks: dict[str, Any], *, ttl: float = float("inf"), **kwargs: Any
    ) -> Discovery:
        """A Discovery preloaded with a metadata document and a JWKS (offline use, air-gapped APIs, benchmarks).

        With the default infinite ``ttl`` nothing is fetched unless a token names an unknown ``kid``.
        """
        obj = cls(metadata["issuer"], ttl=ttl, **kwargs)
        obj._metadata = dict(metadata)
        obj._metadata_at = obj.clock()
        obj._load_keys(jwks)
        obj._jwks_at = obj.clock()
        return obj

    # -- metadata -----------------------------------------------------------------

    def metadata(self) -> dict[str, Any]:
        """The discovery document (cached)."""
        with self._lock:
            if self._metadata is None or self.clock() - self._metadata_at >= self.ttl:
                self._metadata = self._fetch_metadata()
                self._metadata_at = self.clock()
            return self._metadata

    def endpoint(self, name: str) -> str:
        """The URL of one endpoint, e.g. ``endpoint("token_endpoint")``."""
        url = self.metadata().get(name)
        if not isinstance(url, str) or not url:
            raise DiscoveryError(f"provider metadata has no {name}")
        return url

    def _fetch_metadata(self) -> dict[str, Any]:
        url = self.issuer.rstrip("/") + "/.well-known/openid-configuration"
        doc = self._get_json(url, "discovery document")
        if doc.get("issuer") != self.issuer:
            # OIDC Discovery §4.3: the issuer must be identical, or tokens from another
            # provider could be accepted as ours.
            raise DiscoveryError(f"discovery issuer {doc.get('issuer')!r} != configured issuer {self.issuer!r}")
        if not isinstance(doc.get("jwks_uri"), str):
            raise DiscoveryError("discovery document has no jwks_uri")
        logger.debug("fetched discovery document for %s", self.issuer)
        return doc

    # -- keys ---------------------------------------------------------------------

    def get_key(self, kid: str | None, alg: str) -> RSAKey | ECKey:
        """The public key for ``kid`` usable with ``alg`` (RS256 or ES256).

        Refetches the JWKS when the cache is stale, and once (rate limited) when
        ``kid`` is unknown. Raises :class:`KeyNotFound` if there is no such key.
        """
        kty = ALG_KTY.get(alg)
        if kty is None:
            raise KeyNotFound(f"unsupported algorithm {alg}")
        # Fast path without the lock: verification must not queue behind a slow refetch.
        jwks_at = self._jwks_at
        if jwks_at is not None and self.clock() - jwks_at < self.ttl:
            key = self._find(kid, kty)
            if key is not None:
                return key
        with self._lock:
            now = self.clock()
            if self._jwks_at is None or now - self._jwks_at >= self.ttl:
                self._refresh_keys()
            key = self._find(kid, kty)
            if key is None and now - (self._jwks_at or 0) >= self.min_refetch_interval:
                logger.info("unknown kid %r: refetching JWKS", kid)
                self._refresh_keys()
                key = self._find(kid, kty)
        if key is None:
            raise KeyNotFound(f"no {kty} key with kid {kid!r} in the provider's JWKS")
        return key

    def _find(self, kid: str | None, kty: str) -> RSAKey | ECKey | None:
        if kid is None:
            # Without a kid, only an unambiguous key is acceptable.
            candidates = [k for k in self._keys.values() if k.key_type == kty]
            return candidates[0] if len(candidates) == 1 else None
        key = self._keys.get(kid)
        return key if key is not None and key.key_type == kty else None

    def _refresh_keys(self) -> None:
        self._jwks_at = self.clock()  # set first: a failing fetch is rate limited too
        self._load_keys(self._get_json(self.endpoint("jwks_uri"), "JWKS"))

    def _load_keys(self, doc: dict[str, Any]) -> None:
        try:
            keyset = KeySet.import_key_set(
                {"keys": [k for k in doc.get("keys", []) if k.get("kty") in ("RSA", "EC") and k.get("use", "sig") == "sig"]}
            )
        except (JoseError, ValueError, TypeError) as exc:
            raise DiscoveryError(f"invalid JWKS: {exc}") from exc
        keys: dict[str | None, RSAKey | ECKey] = {}
        for key in keyset.keys:
            keys[key.kid] = key  # type: ignore[assignment]
        self._keys = keys
        logger.debug("loaded %d signing keys from JWKS", len(keys))

    # -- HTTP ---------------------------------------------------------------------

    def _get_json(self, url: str, what: str) -> dict[str, Any]:
        try:
            resp = self.http.get(url, timeout=self.timeout, headers={"Accept": "application/json"})
            resp.raise_for_status()
            doc = resp.json()
        except (requests.RequestException, ValueError) as exc:
            raise DiscoveryError(f"cannot fetch {what} from {url}: {exc}") from exc
        if not isinstance(doc, dict):
            raise DiscoveryError(f"{what} at {url} is not a JSON object")
        return doc
