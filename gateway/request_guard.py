"""Refuse malformed input that a library below us would turn into a 500.

* ``Authorization: Basic`` (or any one word and a space) with no credentials after it, or credentials that are not base64 of
  UTF-8: authlib's ``extract_basic_authorization`` raises ``ValueError`` / ``UnicodeDecodeError``
  (found by fuzzing, tests/hardening/test_fuzz.py). Answered here as the ``invalid_client`` it is
  (RFC 6749 §5.2).
"""

from __future__ import annotations

import base64

from flask import Flask, jsonify, request

CLIENT_AUTH_PATHS = ("/token", "/introspect", "/revoke")


def _bad_basic(header: str) -> bool:
    parts = header.split(None, 1)
    if " " in header and len(parts) < 2:  # "Bearer " or " ": authlib's split(None, 1) cannot unpack it
        return True
    if not parts or parts[0].lower() != "basic":
        return False
    if len(parts) < 2 or not parts[1].strip():
        return True
    try:
        base64.b64decode(parts[1].strip().encode("ascii")).decode("utf-8")
    except (ValueError, UnicodeError):  # binascii.Error is a ValueError
        return True
    return False


def init_request_guard(app: Flask) -> None:
    @app.before_request
    def refuse_malformed_client_auth():
        if request.path in CLIENT_AUTH_PATHS and _bad_basic(request.headers.get("Authorization", "")):
            response = jsonify(error="invalid_client", error_description="malformed client credentials")
            response.status_code = 401
            response.headers["WWW-Authenticate"] = 'Basic realm="token"'
            response.headers["Cache-Control"] = "no-store"
            return response
        return None
