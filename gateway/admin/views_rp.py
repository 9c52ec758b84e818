"""Console: dashboard, relying parties (system admin) and signing keys."""

from __future__ import annotations

from flask import flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from ..registry.policy import BASES, CATALOGUE
from ..registry.validation import AUTH_METHODS, GRANT_TYPES, SUBJECT_TYPES, USER_TYPES
from . import ops_misc, ops_rp
from .console import bp, guard, svc
from .paging import page_args
from .problems import Invalid, PreconditionFailed
from .rp_input import CONSOLE_SCOPES, from_form, rp_dict


def _form_context(**extra):
    return {"grant_types": GRANT_TYPES, "scopes": CONSOLE_SCOPES, "user_types": USER_TYPES,
            "auth_methods": AUTH_METHODS, "subject_types": SUBJECT_TYPES, "catalogue": CATALOGUE, "bases": BASES,
            **extra}


@bp.get("/")
@guard("dashboard.read")
def dashboard():
    return render_template("admin/dashboard.html", d=ops_misc.dashboard(svc(), g.actor))


@bp.get("/relying-parties")
@guard("rp.read")
def rp_list():
    q, department = request.args.get("q", ""), request.args.get("department", "")
    page = ops_rp.list_rps(svc(), g.actor, q, department, *page_args(request.args))
    return render_template("admin/rp_list.html", page=page, q=q, department=department,
                           departments=ops_rp.departments(svc()))


@bp.route("/relying-parties/new", methods=["GET", "POST"])
@guard("rp.write")
def rp_new():
    values, errors = {"grant_types": ["authorization_code", "refresh_token"], "scope": "openid profile",
                      "allowed_user_types": list(USER_TYPES), "subject_type": "pairwise",
                      "token_endpoint_auth_method": "client_secret_basic", "min_acr_level": 0,
                      "release_policy": {}}, []
    if request.method == "POST":
        values = from_form(request.form)
        try:
            rp, secret = ops_rp.create_rp(svc(), g.actor, values)
        except Invalid as exc:
            errors = exc.errors
        else:
            return render_template("admin/secret_once.html", rp=rp, secret=secret)
    return render_template("admin/rp_form.html", **_form_context(v=values, errors=errors, rp=None))


@bp.get("/relying-parties/<client_id>")
@guard("rp.read")
def rp_detail(client_id):
    s = svc()
    rp = ops_rp.get_rp(s, g.actor, client_id)
    return render_template("admin/rp_detail.html", rp=rp, v=rp_dict(rp),
                           sessions=ops_rp.rp_sessions(s, g.actor, client_id, limit=100),
                           consents=ops_rp.rp_consents(s, g.actor, client_id, 1, 50),
                           deliveries=ops_rp.rp_deliveries(s, g.actor, client_id, 1, 50), catalogue=CATALOGUE)


@bp.route("/relying-parties/<client_id>/edit", methods=["GET", "POST"])
@guard("rp.write")
def rp_edit(client_id):
    rp = ops_rp.get_rp(svc(), g.actor, client_id)
    values, errors = rp_dict(rp), []
    if request.method == "POST":
        values = from_form(request.form)
        try:
            version = int(request.form.get("version", "0"))
        except ValueError:
            version = 0
        try:
            ops_rp.update_rp(svc(), g.actor, client_id, values, version)
        except Invalid as exc:
            errors = exc.errors
            values["version"] = version
        except PreconditionFailed:
            # Someone saved in between: show their version; the admin re-applies the change.
            rp = ops_rp.get_rp(svc(), g.actor, client_id)
            values, errors = rp_dict(rp), [_("该应用已被他人修改，以下是最新内容，请重新编辑后保存")]
            return render_template("admin/rp_form.html", **_form_context(v=values, errors=errors, rp=rp)), 409
        else:
            flash(_("已保存"), "notice")
            return redirect(url_for("admin.rp_detail", client_id=client_id))
    return render_template("admin/rp_form.html", **_form_context(v=values, errors=errors, rp=rp))


@bp.post("/relying-parties/<client_id>/enabled")
@guard("rp.write")
def rp_enabled(client_id):
    enabled = request.form.get("enabled") == "1"
    ops_rp.set_enabled(svc(), g.actor, client_id, enabled)
    flash(_("已启用") if enabled else _("已停用"), "notice")
    return redirect(url_for("admin.rp_detail", client_id=client_id))


@bp.post("/relying-parties/<client_id>/rotate-secret")
@guard("rp.write")
def rp_rotate(client_id):
    secret = ops_rp.rotate_secret(svc(), g.actor, client_id)
    return render_template("admin/secret_once.html", rp=ops_rp.get_rp(svc(), g.actor, client_id), secret=secret,
                           rotated=True)


@bp.get("/keys")
@guard("key.read")
def keys():
    return render_template("admin/keys.html", keys=ops_misc.list_keys(svc(), g.actor))


@bp.post("/keys/rotate")
@guard("key.rotate")
def keys_rotate():
    kids = ops_misc.rotate_keys(svc(), g.actor)
    flash(_("已生成新的签名密钥：") + ", ".join(kids), "notice")
    return redirect(url_for("admin.keys"))
