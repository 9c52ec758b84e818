"""Operations: health and readiness probes, Prometheus metrics, and the hooks that feed them.

``init_ops(app, services)`` is the one call: it registers the blueprint, times every request and
counts the audit events that are metrics (logins, token issuance, logout deliveries).
"""

from __future__ import annotations

from flask import Flask, g, request, request_finished, session

from . import metrics


def init_ops(app: Flask, services) -> None:
    from .health import bp

    app.register_blueprint(bp)
    _observe_audit(services.audit)

    @app.before_request
    def _start_timer():
        g.ops_t0 = metrics.now()

    request_finished.connect(_finished, app, weak=False)


def _finished(sender, response, **extra) -> None:
    endpoint = request.endpoint or "unmatched"
    started = g.get("ops_t0")
    if started is not None:
        metrics.LATENCY.labels(endpoint=endpoint).observe(metrics.now() - started)
    metrics.REQUESTS.labels(endpoint=endpoint, status=f"{response.status_code // 100}xx").inc()
    if response.status_code == 503 and (getattr(session, "broken", False) or g.get("unavailable") == "session store"):
        metrics.REDIS_ERRORS.labels(component="request").inc()


def _observe_audit(audit) -> None:
    """Count audit events as they are recorded (wraps this app's AuditLog instance, nothing global)."""
    if getattr(audit, "_ops_observed", False):
        return
    original = audit.record

    def record(event, **kwargs):
        original(event, **kwargs)
        try:
            metrics.observe_audit(event, kwargs)
        except Exception:  # a metric must never break the event it counts
            pass

    audit.record = record
    audit._ops_observed = True
