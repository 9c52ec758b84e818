"""``audit.record(event, ...)``: the one call every security-relevant path makes."""

from __future__ import annotations

from typing import Any

from flask import current_app, g, has_request_context, request


def record(event: str, *, result: str = "success", **fields: Any) -> None:
    services = current_app.extensions["gateway"]
    if has_request_context():
        fields.setdefault("ip", services.client_ip(request))
        fields.setdefault("request_id", getattr(g, "request_id", None))
    services.audit.record(event, result=result, **fields)
