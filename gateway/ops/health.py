"""``/healthz`` (the process answers) and ``/readyz`` (Redis and the database answer): for load balancers."""

from __future__ import annotations

import logging
import os

from flask import Blueprint, Response, current_app, jsonify
from sqlalchemy import text

from . import metrics

bp = Blueprint("ops", __name__)
log = logging.getLogger("gateway.ops")


def _svc():
    return current_app.extensions["gateway"]


@bp.get("/healthz")
def healthz():
    # pid: which worker answered (handy when a load balancer or a test kills one)
    return jsonify(status="ok", pid=os.getpid())


@bp.get("/readyz")
def readyz():
    svc = _svc()
    checks = {"redis": _check(lambda: svc.redis.ping()), "database": _check(lambda: _db_ping(svc.db))}
    ready = all(v == "ok" for v in checks.values())
    if checks["redis"] != "ok":
        metrics.REDIS_ERRORS.labels(component="readyz").inc()
    response = jsonify(status="ready" if ready else "unavailable", checks=checks)
    response.status_code = 200 if ready else 503
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/metrics")
def metrics_endpoint():
    body, content_type = metrics.exposition(_svc())
    return Response(body, content_type=content_type, headers={"Cache-Control": "no-store"})


def _db_ping(db) -> bool:
    with db.engine.connect() as conn:
        conn.execute(text("SELECT 1 FROM alembic_version"))
    return True


def _check(probe) -> str:
    try:
        probe()
        return "ok"
    except Exception as exc:  # any failure means "not ready"; the reason is logged, not shown
        log.warning("readiness check failed: %s", type(exc).__name__)
        return "unavailable"
