"""JSON log lines with the request id; personal numbers masked on the way out."""

from __future__ import annotations

import json
import logging
import sys
import time

from .audit.masking import mask_text

_configured = False


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        try:
            from flask import g, has_request_context

            request_id = g.get("request_id") if has_request_context() else None
        except Exception:
            request_id = None
        entry = {"ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + "Z",
                 "level": record.levelname, "logger": record.name, "msg": mask_text(record.getMessage())}
        if request_id:
            entry["request_id"] = request_id
        if record.exc_info:
            entry["exc"] = mask_text(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(json_lines: bool) -> None:
    global _configured
    if _configured:
        return
    _configured = True
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if json_lines else logging.Formatter("%(levelname)s %(name)s %(message)s"))
    root = logging.getLogger("gateway")
    root.setLevel(logging.INFO)
    root.addHandler(handler)
    root.propagate = False
