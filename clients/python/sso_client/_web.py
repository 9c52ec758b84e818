"""Helpers shared by the Flask extension and the WSGI middleware."""

from __future__ import annotations

from html import escape
from urllib.parse import urlsplit

from .errors import AuthorizationError, DiscoveryError, SSOError, TokenRequestError


def safe_next(target: str | None, default: str = "/") -> str:
    """``target`` if it is a relative path on this site, else ``default`` (no open redirect)."""
    if not target or not target.startswith("/") or target.startswith("//") or target.startswith("/\\"):
        return default
    if any(ord(c) < 0x20 or c == "\\" for c in target):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return default
    return target


def error_status(exc: SSOError) -> int:
    """The HTTP status for a failed login: 403 refused by the gateway, 502 gateway unreachable, else 400."""
    if isinstance(exc, AuthorizationError):
        return 403
    if isinstance(exc, DiscoveryError) or (isinstance(exc, TokenRequestError) and (exc.status or 500) >= 500):
        return 502
    return 400


def error_page(exc: SSOError) -> str:
    """A minimal bilingual error page; never echoes token material."""
    code = getattr(exc, "error", None) or type(exc).__name__
    return (
        "<!doctype html><meta charset=utf-8><title>登录失败 / Login failed</title>"
        "<h1>登录失败 / Login failed</h1>"
        f"<p>请返回重新登录。Please go back and try again. <small>({escape(str(code))})</small></p>"
    )
