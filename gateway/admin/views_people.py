"""Console: registration requests (developers and system admins), users (security admin), audit log."""

from __future__ import annotations

from flask import Response, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _

from ..registry.validation import AUTH_METHODS, GRANT_TYPES, USER_TYPES
from . import ops_audit, ops_requests, ops_users
from .console import bp, guard, svc
from .paging import page_args
from .problems import Conflict, Invalid
from .rp_input import CONSOLE_SCOPES, from_form
from .views_auth import is_developer


def _developer():
    principal = session.get("principal")
    return principal if is_developer(principal) else None


# Developers -------------------------------------------------------------------------------------
@bp.route("/my/requests", methods=["GET", "POST"])
def my_requests():
    principal = _developer()
    if principal is None:
        return redirect(url_for("admin.login"))
    errors, values = [], {"grant_types": ["authorization_code", "refresh_token"], "scope": "openid profile"}
    if request.method == "POST":
        values = from_form(request.form)
        values.pop("first_party", None)
        if not values["release_policy"]:
            values.pop("release_policy")
        try:
            ops_requests.submit(svc(), principal["user_id"], principal.get("name", ""), values)
        except Invalid as exc:
            errors = exc.errors
        else:
            flash(_("申请已提交，等待系统管理员审批"), "notice")
            return redirect(url_for("admin.my_requests"))
    return render_template("admin/my_requests.html", requests=ops_requests.mine(svc(), principal["user_id"]),
                           v=values, errors=errors, grant_types=GRANT_TYPES, scopes=CONSOLE_SCOPES,
                           user_types=USER_TYPES, auth_methods=AUTH_METHODS)


@bp.post("/my/requests/<int:request_id>/credentials")
def my_credentials(request_id):
    principal = _developer()
    if principal is None:
        return redirect(url_for("admin.login"))
    taken = ops_requests.take_credentials(svc(), principal["user_id"], request_id)
    if taken is None:
        flash(_("凭据已显示过或不可用"), "error")
        return redirect(url_for("admin.my_requests"))
    return render_template("admin/credentials_once.html", client_id=taken[0], secret=taken[1])


# System admin: review -----------------------------------------------------------------------------
@bp.get("/requests")
@guard("request.review")
def requests_list():
    status = request.args.get("status", "pending")
    page = ops_requests.list_requests(svc(), g.actor, status if status != "all" else "", *page_args(request.args))
    return render_template("admin/requests.html", page=page, status=status)


@bp.route("/requests/<int:request_id>", methods=["GET", "POST"])
@guard("request.review")
def request_detail(request_id):
    errors = []
    if request.method == "POST":
        try:
            ops_requests.decide(svc(), g.actor, request_id, request.form.get("decision") == "approve",
                                request.form.get("reason", ""))
        except (Invalid, Conflict) as exc:
            errors = exc.errors or [exc.detail]
        else:
            flash(_("已处理"), "notice")
            return redirect(url_for("admin.request_detail", request_id=request_id))
    return render_template("admin/request_detail.html", req=ops_requests.get_request(svc(), g.actor, request_id),
                           errors=errors)


# Security admin: users ---------------------------------------------------------------------------
@bp.get("/users")
@guard("user.read")
def users():
    q = request.args.get("q", "")
    return render_template("admin/users.html", q=q,
                           page=ops_users.search(svc(), g.actor, q, *page_args(request.args)))


@bp.get("/users/<user_id>")
@guard("user.read")
def user_detail(user_id):
    s = svc()
    return render_template("admin/user_detail.html", u=ops_users.get_user(s, g.actor, user_id),
                           sessions=ops_users.sessions(s, g.actor, user_id),
                           history=ops_users.login_history(s, g.actor, user_id, 1, 50))


@bp.post("/users/<user_id>/<action>")
@guard("user.write")
def user_action(user_id, action):
    s = svc()
    if action == "lock":
        n = ops_users.lock(s, g.actor, user_id, request.form.get("reason", ""))
        flash(_("已锁定账号并结束 %(n)s 个会话", n=n), "notice")
    elif action == "unlock":
        ops_users.unlock(s, g.actor, user_id)
        flash(_("已解锁"), "notice")
    elif action == "end-sessions":
        n = ops_users.end_sessions(s, g.actor, user_id)
        flash(_("已结束 %(n)s 个会话", n=n), "notice")
    elif action == "reset-mfa":
        ops_users.reset_mfa(s, g.actor, user_id)
        flash(_("已重置动态验证码，该管理员下次登录时重新绑定"), "notice")
    else:
        return render_template("admin/error.html", title="404", detail=""), 404
    return redirect(url_for("admin.user_detail", user_id=user_id))


# Audit admin ---------------------------------------------------------------------------------------
def _filters() -> dict:
    return {k: request.args.get(k, "") for k in ops_audit.FILTERS}


@bp.get("/audit")
@guard("audit.read")
def audit_log():
    filters = _filters()
    page = ops_audit.query(svc(), g.actor, filters, *page_args(request.args))
    return render_template("admin/audit.html", page=page, f=filters)


@bp.get("/audit/export.csv")
@guard("audit.read")
def audit_export():
    body = ops_audit.export_csv(svc(), g.actor, _filters())
    return Response("\ufeff" + body, mimetype="text/csv",
                    headers={"Content-Disposition": "attachment; filename=audit.csv", "Cache-Control": "no-store"})


@bp.post("/audit/verify")
@guard("audit.read")
def audit_verify():
    problems = ops_audit.verify(svc(), g.actor)
    return render_template("admin/audit_verify.html", problems=problems)
