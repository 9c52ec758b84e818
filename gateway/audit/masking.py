"""Mask personal numbers wherever they appear in audit details and log lines."""

from __future__ import annotations

import re
from typing import Any

ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])(\d{6})\d{8}(\d{3}[\dXx])(?![0-9A-Za-z])")
MOBILE = re.compile(r"(?<!\d)(1[3-9]\d)\d{4}(\d{4})(?!\d)")
SECRET_KEYS = {"password", "client_secret", "secret", "token", "access_token", "refresh_token", "id_token",
               "code", "code_verifier", "ticket", "app_word", "appWord", "otp", "totp"}


def mask_text(text: str) -> str:
    text = ID_NUMBER.sub(lambda m: f"{m.group(1)}********{m.group(2)}", text)
    return MOBILE.sub(lambda m: f"{m.group(1)}****{m.group(2)}", text)


def mask(value: Any, key: str | None = None) -> Any:
    if key is not None and key in SECRET_KEYS:
        return "[redacted]"
    if isinstance(value, str):
        return mask_text(value)
    if isinstance(value, dict):
        return {k: mask(v, k) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [mask(v) for v in value]
    return value
