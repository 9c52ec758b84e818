"""``/__sim__``: test and demo controls. They exist only in the simulator, never in the real system."""

from __future__ import annotations

from flask import Blueprint, abort, jsonify, request

from .app import sim
from .store import DEFAULT_FAULTS

bp = Blueprint("sim_admin", __name__, url_prefix="/__sim__")


@bp.before_request
def loopback_only():
    # Fault switches must not be reachable by whoever can reach the demo's login pages.
    if request.remote_addr not in ("127.0.0.1", "::1"):
        abort(403)


@bp.get("/health")
def health():
    s = sim()
    return jsonify({"status": "ok", "apps": len(s.seed.apps), "users": len(s.seed.users), "faults": s.store.faults})


@bp.post("/faults")
def set_faults():
    body = request.get_json(silent=True) or {}
    unknown = set(body) - set(DEFAULT_FAULTS)
    if unknown:
        return jsonify({"error": f"unknown fault(s): {sorted(unknown)}"}), 400
    s = sim()
    with s.store.lock:
        s.store.faults.update(body)
        return jsonify(s.store.faults)


@bp.post("/reset")
def reset():
    s = sim()
    s.store.reset(s.config.faults)
    return jsonify({"status": "reset"})


@bp.get("/notices")
def notices():
    s = sim()
    with s.store.lock:
        return jsonify(list(s.store.notices))
