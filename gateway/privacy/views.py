"""Blueprint ``privacy``: the "my data" centre at /account."""

from __future__ import annotations

import json

from flask import Blueprint, Response, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _

from ..registry.policy import label
from . import service

bp = Blueprint("privacy", __name__)
PER_PAGE = 20


def _svc():
    return current_app.extensions["gateway"]


def _no_store(response):
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/account")
def my_data():
    principal = session.get("principal")
    if not principal:
        return redirect(url_for("account.login"))
    svc = _svc()
    svc.disclosures.flush()
    page = max(1, min(request.args.get("page", 1, type=int) or 1, 100000))
    rows, total = svc.disclosures.page(principal["user_id"], page, PER_PAGE)
    names = {}
    for d in rows:
        if d.client_id not in names:
            client = svc.clients.get(d.client_id)
            names[d.client_id] = client.name if client else d.client_id
    html = render_template("account/my_data.html",
                           me=service.identity_overview(svc, principal["user_id"], principal.get("identity_id")),
                           portals=service.portals(svc, principal["user_id"]), history=rows, names=names,
                           page=page, pages=max(1, -(-total // PER_PAGE)), total=total, label=label)
    return _no_store(current_app.make_response(html))


@bp.post("/account/consents/withdraw")
def withdraw():
    principal = session.get("principal")
    if not principal:
        return redirect(url_for("account.login"))
    if service.withdraw(_svc(), principal["user_id"], request.form.get("client_id", "")[:64]):
        flash(_("已撤回授权，该网站已无法再获取您的信息"), "info")
    return redirect(url_for("privacy.my_data"))


@bp.get("/account/export")
def export():
    principal = session.get("principal")
    if not principal:
        return redirect(url_for("account.login"))
    svc = _svc()
    data = service.export(svc, principal["user_id"], principal.get("identity_id"))
    svc.audit.record("privacy.export", user_id=principal["user_id"])
    body = json.dumps(data, ensure_ascii=False, indent=2)
    return _no_store(Response(body, mimetype="application/json",
                              headers={"Content-Disposition": 'attachment; filename="my-data.json"'}))
