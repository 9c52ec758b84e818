"""Blueprint ``federation``: the browser-facing legs of upstream logins."""

from __future__ import annotations

import logging

from flask import Blueprint, abort, current_app, flash, redirect, request, session, url_for
from flask_babel import gettext as _

from ..account.login import finish_login
from ..account.views import user_message
from ..extensions import csrf
from .base import ConnectorError, UpstreamUnavailable

bp = Blueprint("federation", __name__, url_prefix="/federation")
log = logging.getLogger("gateway.federation")


def _svc():
    return current_app.extensions["gateway"]


def _connector():
    connector = _svc().connectors.get("provincial")
    if connector is None:
        abort(404)
    return connector


@bp.post("/provincial/start")
def provincial_start():
    svc = _svc()
    connector = _connector()
    tx_id = request.form.get("tx", "")
    tx = svc.transactions.get(tx_id) if tx_id else None
    user_type = 2 if request.form.get("user_type") == "2" else 1
    reason = (tx or {}).get("reason")
    level = int((tx or {}).get("required_level") or 0)
    # prompt=login / max_age: the province must authenticate afresh, not reuse its own session
    force = reason in ("prompt_login", "max_age")
    return redirect(connector.begin(user_type, tx_id if tx else "", level, force_login=force))


@bp.get("/provincial/callback")
def provincial_callback():
    svc = _svc()
    connector = _connector()
    state = request.args.get("st", "")
    back_to_login = redirect(url_for("account.login", tx=connector.peek(state).get("tx") or None))
    if request.args.get("error"):
        code = request.args.get("error", "")[:20]
        svc.audit.record("login.failure", result="failure", connector="provincial", reason=f"province error {code}")
        flash(user_message("provincial.level_too_low" if code == "4001" else "provincial.refused"), "error")
        return back_to_login
    try:
        identity, parked = connector.complete(state, request.args.get("ticket", ""))
    except UpstreamUnavailable as exc:
        svc.audit.record("login.failure", result="failure", connector="provincial", reason=exc.reason)
        flash(user_message("provincial.unavailable"), "error")
        return back_to_login
    except ConnectorError as exc:
        svc.audit.record("login.failure", result="failure", connector="provincial", reason=exc.reason)
        flash(user_message(exc.user_message), "error")
        return back_to_login
    response = finish_login(identity, parked.get("tx") or None)
    connector.remember_session(identity.upstream_session.get("session_index"), session["principal"]["sid"])
    return response


@bp.get("/provincial/switch-corp")
def provincial_switch_corp():
    """A legal-person agent changes the unit they act for; portals see the new ``corp``."""
    principal = session.get("principal")
    if not principal or principal.get("connector") != "provincial":
        return redirect(url_for("account.login"))
    return redirect(_connector().begin(2, "", switch_corp=True))


@bp.get("/provincial/logged-out")
def provincial_logged_out():
    target = _connector().after_logout(request.args.get("o", ""))
    return redirect(target or url_for("account.logged_out"))


@bp.post("/provincial/logout-notice")
@csrf.exempt  # a signed server-to-server call from the province
def provincial_logout_notice():
    svc = _svc()
    try:
        notice, sids = _connector().sessions_for_notice(request.form)
    except ConnectorError as exc:
        svc.audit.record("logout.provincial_notice", result="failure", reason=exc.reason)
        return {"code": "1003", "msg": _("通知校验失败")}, 400
    for sid in sids:
        svc.end_session(sid, reason="provincial_logout", actor="province")
    svc.audit.record("logout.provincial_notice", sessions=len(sids))
    return {"code": "0", "msg": "成功"}
