"""The audit log for the audit admin: filter, export as CSV, check the chain; plus retention."""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import json
import time

from sqlalchemy import delete, select

from ..audit.models import AuditEvent
from ..crypto import derive_key
from .models import AuditAnchor
from .paging import Page, paginate
from .problems import Invalid
from .roles import Actor, audit, require

FILTERS = ("since", "until", "actor", "user_id", "client_id", "event", "result")
CSV_COLUMNS = ("id", "time", "event", "result", "actor", "user_id", "client_id", "ip", "request_id", "details",
               "chain_hmac")


def _ts(value: str, name: str) -> int:
    """Epoch seconds, or an ISO date/time (UTC) as typed in the console."""
    value = value.strip()
    if value.isdigit():
        return int(value)
    for fmt in ("%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d"):
        try:
            return int(time.mktime(time.strptime(value, fmt)) - time.timezone)
        except ValueError:
            continue
    raise Invalid(f"{name}: epoch seconds or YYYY-MM-DD[THH:MM]", [f"{name}: not a time"])


def _statement(filters: dict):
    stmt = select(AuditEvent).order_by(AuditEvent.id.desc())
    for key in FILTERS:
        value = (filters.get(key) or "").strip()[:128]
        if not value:
            continue
        if key == "since":
            stmt = stmt.where(AuditEvent.ts >= _ts(value, key))
        elif key == "until":
            stmt = stmt.where(AuditEvent.ts <= _ts(value, key))
        elif key == "event" and value.endswith("*"):
            stmt = stmt.where(AuditEvent.event.like(value[:-1].replace("%", "") + "%"))
        elif key == "actor":
            stmt = stmt.where(AuditEvent.actor.like(f"%{value.replace('%', '')}%"))
        else:
            stmt = stmt.where(getattr(AuditEvent, key) == value)
    return stmt


def query(svc, actor: Actor, filters: dict, page: int = 1, per_page: int = 50) -> Page:
    require(svc, actor, "audit.read")
    svc.audit.flush()
    with svc.db.session() as s:
        return paginate(s, _statement(filters), page, per_page)


def event_dict(ev: AuditEvent) -> dict:
    return {"id": ev.id, "ts": ev.ts, "event": ev.event, "result": ev.result, "actor": ev.actor,
            "user_id": ev.user_id, "client_id": ev.client_id, "ip": ev.ip, "request_id": ev.request_id,
            "details": ev.details, "chain_hmac": ev.chain_hmac}


def _csv_rows(rows) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(CSV_COLUMNS)
    for ev in rows:
        d = event_dict(ev)
        d["time"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ev.ts))
        d["details"] = json.dumps(ev.details, ensure_ascii=False, sort_keys=True)
        # A leading = + - @ would be a formula in a spreadsheet (CSV injection).
        writer.writerow([("'" + v) if isinstance(v, str) and v[:1] in "=+-@" else v
                         for v in (d[c] for c in CSV_COLUMNS)])
    return buf.getvalue()


def export_csv(svc, actor: Actor, filters: dict, limit: int = 100000) -> str:
    require(svc, actor, "audit.read")
    svc.audit.flush()
    with svc.db.session() as s:
        rows = s.scalars(_statement(filters).limit(limit)).all()
    audit(svc, actor, "audit_export", rows=len(rows), filters={k: v for k, v in filters.items() if k in FILTERS and v})
    return _csv_rows(rows)


# Integrity ------------------------------------------------------------------------------------
def _anchor_key(svc) -> bytes:
    return derive_key(svc.settings.secret_key.encode(), "audit anchor")


def _anchor_hmac(svc, a: AuditAnchor) -> str:
    body = f"{a.last_id}|{a.last_hmac}|{a.purged}|{a.before_ts}|{a.export_sha256}|{a.created_at}"
    return hmac.new(_anchor_key(svc), body.encode(), hashlib.sha256).hexdigest()


def verify_chain(svc) -> list[str]:
    """Every problem in the chain, starting from the latest purge anchor (if any)."""
    svc.audit.flush()
    problems = []
    with svc.db.session() as s:
        anchor = s.scalar(select(AuditAnchor).order_by(AuditAnchor.id.desc()).limit(1))
    start = ""
    if anchor is not None:
        if not hmac.compare_digest(_anchor_hmac(svc, anchor), anchor.anchor_hmac):
            problems.append(f"purge anchor {anchor.id}: edited")
        start = anchor.last_hmac
    return problems + svc.audit.verify(start_prev=start)


def verify(svc, actor: Actor) -> list[str]:
    require(svc, actor, "audit.read")
    problems = verify_chain(svc)
    audit(svc, actor, "audit_verify", result="success" if not problems else "failure", problems=len(problems))
    return problems


def purge(svc, before_days: int, export_path: str, actor_label: str = "cli") -> tuple[int, str]:
    """Export every record older than ``before_days`` to CSV, then delete them, leaving an anchor.

    Refuses when the chain does not verify (a purge must not hide tampering)."""
    if before_days < 1:
        raise Invalid("before_days must be at least 1")
    problems = verify_chain(svc)
    if problems:
        raise Invalid("the audit chain does not verify; not purging", problems)
    cutoff = int(svc.clock()) - before_days * 86400
    with svc.db.session() as s:
        rows = s.scalars(select(AuditEvent).where(AuditEvent.ts < cutoff).order_by(AuditEvent.id)).all()
        if not rows:
            return 0, ""
        last = s.scalars(select(AuditEvent).where(AuditEvent.id <= rows[-1].id).order_by(AuditEvent.id)).all()
        text = _csv_rows(last)
        with open(export_path, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
        digest = hashlib.sha256(text.encode()).hexdigest()
        anchor = AuditAnchor(created_at=int(svc.clock()), last_id=last[-1].id, last_hmac=last[-1].chain_hmac,
                             purged=len(last), before_ts=cutoff, export_sha256=digest)
        anchor.anchor_hmac = _anchor_hmac(svc, anchor)
        s.add(anchor)
        s.execute(delete(AuditEvent).where(AuditEvent.id <= last[-1].id))
    svc.audit.record("audit.purge", actor=actor_label, purged=len(last), before_ts=cutoff, export_sha256=digest)
    svc.audit.flush()
    return len(last), digest
