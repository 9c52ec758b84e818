"""“My sessions”: a signed-in person sees their SSO sessions and can end them."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _

bp = Blueprint("my_sessions", __name__)


def _svc():
    return current_app.extensions["gateway"]


@bp.get("/account/sessions")
def list_sessions():
    principal = session.get("principal")
    if not principal:
        return redirect(url_for("account.login"))
    svc = _svc()
    records = svc.sso.for_user(principal["user_id"])
    names = {}
    for rec in records:
        for client_id in rec["principal"].get("rps", {}):
            if client_id not in names:
                client = svc.clients.get(client_id)
                names[client_id] = client.name if client else client_id
    response = current_app.make_response(render_template(
        "account/sessions.html", records=records, current=principal["sid"], names=names))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/account/sessions/end")
def end_sessions():
    principal = session.get("principal")
    if not principal:
        return redirect(url_for("account.login"))
    svc = _svc()
    target = request.form.get("sid", "")
    if target == "others":
        n = svc.end_user_sessions(principal["user_id"], reason="user_ended", actor=principal["user_id"],
                                  except_sid=principal["sid"])
        flash(_("已结束 %(n)s 个其他会话", n=n), "info")
    elif target in svc.sso.sids_for_user(principal["user_id"]):
        svc.end_session(target, reason="user_ended", actor=principal["user_id"])
        if target == principal["sid"]:
            session.destroy()
            return redirect(url_for("account.logged_out"))
        flash(_("会话已结束"), "info")
    return redirect(url_for("my_sessions.list_sessions"))
