"""backUrl checks and redirect building, shared by the login, logout and switch-corp pages."""

from __future__ import annotations

from urllib.parse import quote

from .seed import App


def back_url_allowed(app: App, back_url: str) -> bool:
    """Strict prefix match that must end at a path boundary (``/``, ``?``, ``#`` or end of string).

    Without the boundary rule ``…/callback.evil`` or ``…/callback@evil.example`` would pass a naive
    ``startswith`` and turn the login into an open redirect.
    """
    if not back_url or any(c in back_url for c in "\\\r\n\t ") or "/../" in back_url or back_url.endswith("/.."):
        return False
    for prefix in app.back_url_prefixes:
        if back_url == prefix:
            return True
        if back_url.startswith(prefix) and (prefix[-1] in "/?" or back_url[len(prefix)] in "/?#"):
            return True
    return False


def add_query(url: str, **params: str) -> str:
    """Append query parameters, keeping any fragment at the end."""
    base, hash_, fragment = url.partition("#")
    sep = "&" if "?" in base else "?"
    query = "&".join(f"{k}={quote(str(v), safe='')}" for k, v in params.items())
    return f"{base}{sep}{query}{hash_}{fragment}"
