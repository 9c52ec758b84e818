"""Prometheus metrics: counters fed by audit events and request hooks, gauges computed on scrape.

Multi-process safe: under gunicorn set ``PROMETHEUS_MULTIPROC_DIR`` to an empty directory *before*
the workers start (config/gunicorn.conf.py marks dead workers); ``/metrics`` then aggregates
every worker's files, so a scrape answered by any worker shows the totals of all of them.
Scrape-time figures (Redis up, logout deliveries pending/failed) are read from Redis and SQL,
which every worker shares. docs/operations.md has the details.
"""

from __future__ import annotations

import os
import time

from prometheus_client import (CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, Counter, Histogram,
                               generate_latest)
from prometheus_client.core import GaugeMetricFamily

LOGINS = Counter("gateway_logins_total", "Login attempts by method and result", ["method", "result"])
TOKENS = Counter("gateway_tokens_issued_total", "Tokens issued at /token by grant type", ["grant_type"])
REQUESTS = Counter("gateway_http_requests_total", "HTTP responses by endpoint and status class",
                   ["endpoint", "status"])
LATENCY = Histogram("gateway_http_request_duration_seconds", "Request latency by endpoint", ["endpoint"],
                    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))
REDIS_ERRORS = Counter("gateway_redis_errors_total", "Requests that met an unavailable Redis", ["component"])
RATE_LIMITED = Counter("gateway_rate_limited_total", "Requests refused with 429, by limit scope", ["scope"])
LOGOUT = Counter("gateway_logout_deliveries_total", "Back-channel logout delivery outcomes", ["outcome"])


def method_of(event_details: dict) -> str:
    """local | ldap | provincial | … for a login audit event."""
    connector = event_details.get("connector")
    if connector:
        return str(connector)[:16]
    actor = str(event_details.get("actor") or "")
    return actor.split(":", 1)[0][:16] if ":" in actor else "unknown"


def observe_audit(event: str, details: dict) -> None:
    """Count the audit events that are metrics too (called after each ``audit.record``)."""
    if event == "login.success":
        LOGINS.labels(method=method_of(details), result="success").inc()
    elif event == "login.failure":
        result = "locked" if details.get("reason") == "locked" else "failure"
        LOGINS.labels(method=method_of(details), result=result).inc()
    elif event == "token.issue":
        TOKENS.labels(grant_type=str(details.get("grant_type") or "unknown")[:32]).inc()
    elif event.startswith("logout.delivery_"):
        LOGOUT.labels(outcome=event.rsplit("_", 1)[-1][:16]).inc()


class ScrapeCollector:
    """Figures read at scrape time from the shared stores (the same answer from every worker)."""

    def __init__(self, services):
        self.svc = services

    def collect(self):
        up = GaugeMetricFamily("gateway_redis_up", "1 when Redis answered PING at scrape time")
        pending = GaugeMetricFamily("gateway_logout_deliveries", "Back-channel logout deliveries by state",
                                    labels=["state"])
        try:
            up.add_metric([], 1.0 if self.svc.redis.ping() else 0.0)
            pending.add_metric(["pending"], float(self.svc.logout_queue.pending()))
        except Exception:
            up.add_metric([], 0.0)
        try:
            from ..logout.worker import delivery_counts

            counts = delivery_counts(self.svc.db)
            pending.add_metric(["failed"], float(counts.get("failed", 0)))
            pending.add_metric(["delivered"], float(counts.get("delivered", 0)))
        except Exception:
            pass
        yield up
        yield pending


def exposition(services) -> tuple[bytes, str]:
    """The /metrics body: this process (or all gunicorn workers in multiprocess mode) + scrape figures."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        body = generate_latest(registry)
    else:
        body = generate_latest(REGISTRY)
    scrape = CollectorRegistry()
    scrape.register(ScrapeCollector(services))
    return body + generate_latest(scrape), CONTENT_TYPE_LATEST


def now() -> float:
    return time.perf_counter()
