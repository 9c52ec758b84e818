"""Security headers on every response."""

from __future__ import annotations

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "frame-ancestors 'none'; form-action 'self' https: http://127.0.0.1:* http://localhost:*; "
       "base-uri 'none'; object-src 'none'")


def apply(response, https: bool):
    h = response.headers
    if "Content-Security-Policy" not in h:
        h["Content-Security-Policy"] = CSP
    h.setdefault("X-Frame-Options", "DENY")
    h.setdefault("X-Content-Type-Options", "nosniff")
    h.setdefault("Referrer-Policy", "no-referrer")
    h.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    if https:
        h.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    if response.mimetype == "text/html":
        h.setdefault("Cache-Control", "no-store")
    return response
