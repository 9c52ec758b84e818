"""The audit chain (HMAC-SM3): edits and deletions are detected; purge keeps the rest verifiable."""

from __future__ import annotations

import csv
import time

from sqlalchemy import delete, select, update

from gateway.admin.models import AuditAnchor
from gateway.admin.ops_audit import purge, verify_chain
from gateway.audit.log import SM3, chain_hmac
from gateway.audit.models import AuditEvent


def _records(svc, n=3, event="test.event"):
    for i in range(n):
        svc.audit.record(event, actor="tester", n=i)
    svc.audit.flush()
    with svc.db.session() as s:
        return list(s.scalars(select(AuditEvent.id).order_by(AuditEvent.id.desc()).limit(n)))[::-1]


def _restore(svc, snapshot):
    with svc.db.session() as s:
        s.execute(delete(AuditEvent))
        for row in snapshot:
            s.add(AuditEvent(**row))


def _snapshot(svc):
    with svc.db.session() as s:
        return [{c.name: getattr(e, c.name) for c in AuditEvent.__table__.columns}
                for e in s.scalars(select(AuditEvent).order_by(AuditEvent.id))]


def test_chain_uses_hmac_sm3_and_verifies(asvc):
    assert SM3  # cryptography's OpenSSL here has SM3
    ids = _records(asvc)
    with asvc.db.session() as s:
        ev = s.get(AuditEvent, ids[-1])
        row = {k: getattr(ev, k) for k in ("ts", "event", "result", "actor", "user_id", "client_id", "ip",
                                            "request_id", "details")}
        assert chain_hmac(asvc.audit.key, ev.prev_hmac, row) == ev.chain_hmac
    assert verify_chain(asvc) == []


def test_verify_detects_an_edited_record(asvc, admin_app):
    ids = _records(asvc)
    snapshot = _snapshot(asvc)
    try:
        with asvc.db.session() as s:
            s.execute(update(AuditEvent).where(AuditEvent.id == ids[1]).values(actor="someone-else"))
        problems = verify_chain(asvc)
        assert any(f"record {ids[1]}" in p and "edited" in p for p in problems)
        result = admin_app.test_cli_runner().invoke(args=["audit", "verify"])
        assert result.exit_code == 1 and f"record {ids[1]}" in result.output
    finally:
        _restore(asvc, snapshot)
    assert verify_chain(asvc) == []


def test_verify_detects_a_deleted_record_in_the_middle_and_at_the_start(asvc):
    ids = _records(asvc)
    snapshot = _snapshot(asvc)
    try:
        with asvc.db.session() as s:
            s.execute(delete(AuditEvent).where(AuditEvent.id == ids[1]))
        assert any(f"record {ids[2]}" in p and "chain broken" in p for p in verify_chain(asvc))
    finally:
        _restore(asvc, snapshot)
    first = snapshot[0]["id"]
    try:
        with asvc.db.session() as s:
            s.execute(delete(AuditEvent).where(AuditEvent.id == first))
        assert verify_chain(asvc), "deleting the oldest record must be detected too"
    finally:
        _restore(asvc, snapshot)


def test_purge_exports_then_deletes_and_the_rest_still_verifies(asvc, admin_app, tmp_path, clock):
    snapshot = _snapshot(asvc)
    _records(asvc, 2, "old.event")
    clock.advance(200 * 86400)
    try:
        _records(asvc, 2, "new.event")
        export = tmp_path / "audit-export.csv"
        result = admin_app.test_cli_runner().invoke(args=["audit", "purge", "--before-days", "180",
                                                          "--export", str(export)])
        assert result.exit_code == 0, result.output
        rows = list(csv.DictReader(export.open(encoding="utf-8")))
        assert rows and {"old.event"} <= {r["event"] for r in rows} and "new.event" not in {r["event"] for r in rows}
        with asvc.db.session() as s:
            assert s.scalar(select(AuditEvent).where(AuditEvent.event == "old.event")) is None
            anchor = s.scalar(select(AuditAnchor).order_by(AuditAnchor.id.desc()))
        assert anchor.purged == len(rows)
        assert admin_app.test_cli_runner().invoke(args=["audit", "verify"]).exit_code == 0
        # Deleting the first record left after the purge is still detected (the anchor fixes the start).
        with asvc.db.session() as s:
            first = s.scalar(select(AuditEvent.id).order_by(AuditEvent.id))
            s.execute(delete(AuditEvent).where(AuditEvent.id == first))
        assert verify_chain(asvc)
        # So is tampering with the anchor.
    finally:
        with asvc.db.session() as s:
            s.execute(delete(AuditAnchor))
        _restore(asvc, snapshot)
        clock.advance(-200 * 86400)
    assert verify_chain(asvc) == []


def test_purge_refuses_when_the_chain_is_broken(asvc, admin_app, tmp_path):
    ids = _records(asvc)
    snapshot = _snapshot(asvc)
    try:
        with asvc.db.session() as s:
            s.execute(update(AuditEvent).where(AuditEvent.id == ids[0]).values(result="failure"))
        result = admin_app.test_cli_runner().invoke(args=["audit", "purge", "--before-days", "1",
                                                          "--export", str(tmp_path / "x.csv")])
        assert result.exit_code == 2 and "does not verify" in result.output
    finally:
        _restore(asvc, snapshot)


def test_records_written_with_hmac_sha256_before_the_switch_still_verify(asvc):
    import hashlib
    import hmac
    import json

    ids = _records(asvc, 1)
    snapshot = _snapshot(asvc)
    try:
        # Rewrite the last record as the old code did (HMAC-SHA256) — as if written before the upgrade.
        with asvc.db.session() as s:
            ev = s.get(AuditEvent, ids[0])
            row = {k: getattr(ev, k) for k in ("ts", "event", "result", "actor", "user_id", "client_id", "ip",
                                                "request_id", "details")}
            body = json.dumps(row, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
            ev.chain_hmac = hmac.new(asvc.audit.key, (ev.prev_hmac + "|" + body).encode(), hashlib.sha256).hexdigest()
        assert verify_chain(asvc) == []
    finally:
        _restore(asvc, snapshot)
