"""Admin API operations. Each is one call into ``ops_*``; the OpenAPI document lists them all."""

from __future__ import annotations

from flask import Response, g, request, url_for

from . import ops_audit, ops_misc, ops_requests, ops_rp, ops_users
from .api import bp, body, ok, svc
from .ops_audit import event_dict
from .ops_requests import request_dict
from .ops_rp import consent_dict, delivery_dict, etag, version_from_etag
from .paging import page_args
from .problems import AdminError, PreconditionRequired
from .rp_input import rp_dict


@bp.get("/me")
def me():
    return ok({"client_id": g.actor.id, "role": g.actor.role})


@bp.get("/dashboard")
def dashboard():
    return ok(ops_misc.dashboard(svc(), g.actor))


# Relying parties ------------------------------------------------------------------------------------
@bp.get("/relying-parties")
def rp_list():
    page = ops_rp.list_rps(svc(), g.actor, request.args.get("q", ""), request.args.get("department", ""),
                           *page_args(request.args))
    return ok(page.as_dict(rp_dict))


@bp.post("/relying-parties")
def rp_create():
    rp, secret = ops_rp.create_rp(svc(), g.actor, body())
    data = {**rp_dict(rp), "client_secret": secret}
    return ok(data, 201, {"ETag": etag(rp), "Location": url_for("admin_api.rp_get", client_id=rp.client_id)})


@bp.get("/relying-parties/<client_id>")
def rp_get(client_id):
    rp = ops_rp.get_rp(svc(), g.actor, client_id)
    if request.headers.get("If-None-Match") == etag(rp):
        return Response(status=304, headers={"ETag": etag(rp)})
    return ok(rp_dict(rp), headers={"ETag": etag(rp)})


@bp.patch("/relying-parties/<client_id>")
def rp_update(client_id):
    data = body()
    version = version_from_etag(request.headers.get("If-Match"))
    if version is None and "version" in data:
        version = data["version"] if isinstance(data["version"], int) and not isinstance(data["version"], bool) \
            else -1
    data.pop("version", None)
    if version is None:
        ops_rp.get_rp(svc(), g.actor, client_id)  # 403/404 before 428
        raise PreconditionRequired("send If-Match with the ETag you read (or a version field)")
    rp = ops_rp.update_rp(svc(), g.actor, client_id, data, version)
    return ok(rp_dict(rp), headers={"ETag": etag(rp)})


@bp.post("/relying-parties/<client_id>/enable")
def rp_enable(client_id):
    rp = ops_rp.set_enabled(svc(), g.actor, client_id, True)
    return ok(rp_dict(rp), headers={"ETag": etag(rp)})


@bp.post("/relying-parties/<client_id>/disable")
def rp_disable(client_id):
    rp = ops_rp.set_enabled(svc(), g.actor, client_id, False)
    return ok(rp_dict(rp), headers={"ETag": etag(rp)})


@bp.post("/relying-parties/<client_id>/rotate-secret")
def rp_rotate_secret(client_id):
    secret = ops_rp.rotate_secret(svc(), g.actor, client_id)
    return ok({"client_id": client_id, "client_secret": secret})


@bp.get("/relying-parties/<client_id>/sessions")
def rp_sessions(client_id):
    return ok({"items": ops_rp.rp_sessions(svc(), g.actor, client_id)})


@bp.get("/relying-parties/<client_id>/consents")
def rp_consents(client_id):
    return ok(ops_rp.rp_consents(svc(), g.actor, client_id, *page_args(request.args)).as_dict(consent_dict))


@bp.get("/relying-parties/<client_id>/logout-deliveries")
def rp_deliveries(client_id):
    return ok(ops_rp.rp_deliveries(svc(), g.actor, client_id, *page_args(request.args)).as_dict(delivery_dict))


# Registration requests -----------------------------------------------------------------------------
@bp.get("/registration-requests")
def requests_list():
    page = ops_requests.list_requests(svc(), g.actor, request.args.get("status", ""), *page_args(request.args))
    return ok(page.as_dict(request_dict))


@bp.get("/registration-requests/<int:request_id>")
def request_get(request_id):
    return ok(request_dict(ops_requests.get_request(svc(), g.actor, request_id)))


@bp.post("/registration-requests/<int:request_id>/approve")
def request_approve(request_id):
    return ok(request_dict(ops_requests.decide(svc(), g.actor, request_id, True, body(required=False).get("reason", ""))))


@bp.post("/registration-requests/<int:request_id>/reject")
def request_reject(request_id):
    reason = body().get("reason", "")
    if not isinstance(reason, str):
        raise AdminError("reason: a string")
    return ok(request_dict(ops_requests.decide(svc(), g.actor, request_id, False, reason)))


# Users ---------------------------------------------------------------------------------------------
@bp.get("/users")
def users_search():
    page = ops_users.search(svc(), g.actor, request.args.get("q", ""), *page_args(request.args))
    return ok(page.as_dict(ops_users.user_dict))


@bp.get("/users/<user_id>")
def user_get(user_id):
    return ok(ops_users.get_user(svc(), g.actor, user_id))


@bp.get("/users/<user_id>/sessions")
def user_sessions(user_id):
    ops_users.get_user(svc(), g.actor, user_id)
    return ok({"items": ops_users.sessions(svc(), g.actor, user_id)})


@bp.get("/users/<user_id>/login-history")
def user_history(user_id):
    page = ops_users.login_history(svc(), g.actor, user_id, *page_args(request.args))
    return ok(page.as_dict(event_dict))


@bp.post("/users/<user_id>/lock")
def user_lock(user_id):
    reason = body(required=False).get("reason", "")
    return ok({"user_id": user_id, "disabled": True,
               "sessions_ended": ops_users.lock(svc(), g.actor, user_id, reason if isinstance(reason, str) else "")})


@bp.post("/users/<user_id>/unlock")
def user_unlock(user_id):
    ops_users.unlock(svc(), g.actor, user_id)
    return ok({"user_id": user_id, "disabled": False})


@bp.post("/users/<user_id>/end-sessions")
def user_end_sessions(user_id):
    return ok({"user_id": user_id, "sessions_ended": ops_users.end_sessions(svc(), g.actor, user_id)})


@bp.post("/users/<user_id>/reset-mfa")
def user_reset_mfa(user_id):
    return ok({"user_id": user_id, "removed": ops_users.reset_mfa(svc(), g.actor, user_id)})


# Keys ----------------------------------------------------------------------------------------------
@bp.get("/keys")
def keys_list():
    return ok({"items": ops_misc.list_keys(svc(), g.actor)})


@bp.post("/keys/rotate")
def keys_rotate():
    return ok({"kids": ops_misc.rotate_keys(svc(), g.actor)})


# Audit ---------------------------------------------------------------------------------------------
def _filters() -> dict:
    return {k: request.args.get(k, "") for k in ops_audit.FILTERS}


@bp.get("/audit/events")
def audit_events():
    page = ops_audit.query(svc(), g.actor, _filters(), *page_args(request.args))
    return ok(page.as_dict(event_dict))


@bp.get("/audit/export")
def audit_export():
    text = ops_audit.export_csv(svc(), g.actor, _filters())
    return Response(text, mimetype="text/csv", headers={"Cache-Control": "no-store",
                                                        "Content-Disposition": "attachment; filename=audit.csv"})


@bp.post("/audit/verify")
def audit_verify():
    problems = ops_audit.verify(svc(), g.actor)
    return ok({"intact": not problems, "problems": problems})
