"""Dashboard figures (every admin role) and signing keys (system admin)."""

from __future__ import annotations

from collections import Counter, defaultdict

from sqlalchemy import func, select

from ..audit.models import AuditEvent
from ..logout.worker import delivery_counts
from ..sessions.sso import DEADLINES
from .problems import ReauthRequired
from .roles import Actor, audit, require


def dashboard(svc, actor: Actor, hours: int = 24) -> dict:
    """Aggregates only: no person, no client secret — safe for all three roles."""
    require(svc, actor, "dashboard.read")
    svc.audit.flush()
    now = int(svc.clock())
    since = now - hours * 3600
    per_hour: dict[int, Counter] = defaultdict(Counter)
    with svc.db.session() as s:
        for ts, details in s.execute(select(AuditEvent.ts, AuditEvent.details)
                                     .where(AuditEvent.event == "login.success", AuditEvent.ts >= since)):
            method = str((details or {}).get("connector") or "unknown").split(":")[0]
            per_hour[ts - ts % 3600][method] += 1
        failures = s.scalar(select(func.count()).select_from(AuditEvent)
                            .where(AuditEvent.event == "login.failure", AuditEvent.ts >= since)) or 0
    counts = delivery_counts(svc.db)
    return {
        "since": since, "until": now,
        "logins_per_hour": [{"hour": h, "by_method": dict(c)} for h, c in sorted(per_hour.items())],
        "login_failures": failures,
        "active_sessions": svc.redis.zcount(DEADLINES, now, "+inf"),
        "logout_deliveries": {"queued": svc.logout_queue.pending(), "pending": counts.get("pending", 0),
                              "failed": counts.get("failed", 0), "delivered": counts.get("delivered", 0)},
    }


def list_keys(svc, actor: Actor) -> list[dict]:
    require(svc, actor, "key.read")
    return svc.keys.listing()


def rotate_keys(svc, actor: Actor) -> list[str]:
    require(svc, actor, "key.rotate")
    if not actor.fresh:
        audit(svc, actor, "keys_rotate", result="failure", reason="reauth required")
        raise ReauthRequired("rotating keys needs a fresh authentication")
    t = svc.settings.tokens
    kids = svc.keys.rotate(max(t.access_token_lifetime, t.id_token_lifetime) + t.key_retire_grace,
                           publish_delay=t.key_publish_delay)
    audit(svc, actor, "keys_rotate", kids=kids)
    return kids
