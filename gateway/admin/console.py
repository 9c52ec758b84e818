"""Blueprint ``admin`` (the console): session state, the per-request guard, shared helpers.

The admin state lives beside the SSO principal in the server-side session::

    session["admin"] = {user_id, sid, role, username, directory, name, stage: "mfa" | "ok",
                        seen, reauth_at}

``stage`` becomes "ok" only after the second factor. ``seen`` drives the 15-minute idle timeout,
after which the whole SSO session ends (等保 8.1.4.1 b). Views call ``actor()`` only through
``guard``, which also checks the role for the view's permission; ``ops_*`` check it again.
"""

from __future__ import annotations

import functools
from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _

from .problems import AdminError, Forbidden, NotFound, ReauthRequired
from .roles import Actor, require

bp = Blueprint("admin", __name__, url_prefix="/admin")

def N_(text: str) -> str:
    """Mark for translation here; translated where shown."""
    return text


ROLE_LABELS = {"system": N_("系统管理员"), "security": N_("安全管理员"), "audit": N_("审计管理员")}


def svc():
    return current_app.extensions["gateway"]


def admin_ext():
    return current_app.extensions["gateway_admin"]


def state() -> dict | None:
    st, principal = session.get("admin"), session.get("principal")
    if not st or not principal or principal.get("user_id") != st.get("user_id") or principal.get("sid") != st.get("sid"):
        return None
    return st


def label(st: dict) -> str:
    return f"admin:{st.get('username') or st['user_id']}"


def end_admin_session(reason: str) -> None:
    st = state()
    if st:
        svc().audit.record(f"admin.{reason}", actor=label(st), user_id=st["user_id"], role=st["role"],
                           ip=svc().client_ip(request))
        svc().end_session(st["sid"], reason=reason, actor=label(st))
    session.clear()


def guard(permission: str | None = None):
    """Console view decorator: a second-factor-verified, non-idle admin whose role allows it."""

    def wrap(view):
        @functools.wraps(view)
        def inner(*args, **kwargs):
            st = state()
            if st is None or st.get("stage") != "ok":
                return redirect(url_for("admin.login"))
            s = svc()
            now = s.clock()
            settings = s.settings.admin
            if now - st.get("seen", 0) > settings.idle_timeout:
                end_admin_session("session_timeout")
                flash(_("管理会话因长时间未操作已结束，请重新登录"), "error")
                return redirect(url_for("admin.login"))
            st["seen"] = now
            session["admin"] = st
            g.admin = st
            g.actor = Actor(id=st["user_id"], role=st["role"], label=label(st), ip=s.client_ip(request),
                            fresh=now - st.get("reauth_at", -1e18) <= settings.reauth_window)
            if permission:
                require(s, g.actor, permission, path=request.path)
            return view(*args, **kwargs)

        return inner

    return wrap


def safe_next(target: str | None, default: str = "/admin/") -> str:
    parts = urlsplit(target or "")
    if parts.scheme or parts.netloc or not (target or "").startswith("/admin") or "\\" in (target or ""):
        return default
    return target


@bp.errorhandler(AdminError)
def admin_error(error: AdminError):
    if isinstance(error, ReauthRequired):
        flash(_("该操作需要重新验证身份（密码和动态验证码），验证后请再次操作"), "error")
        return redirect(url_for("admin.reauth", next=request.referrer and urlsplit(request.referrer).path
                                or request.path))
    if isinstance(error, Forbidden):
        return render_template("admin/error.html", title=_("无权执行该操作"),
                               detail=_("您的管理角色不允许此操作（三员分立）。")), 403
    if isinstance(error, NotFound):
        return render_template("admin/error.html", title=_("未找到"), detail=error.detail), 404
    return render_template("admin/error.html", title=_("操作失败"), detail=error.detail, errors=error.errors), \
        error.status


@bp.app_context_processor
def inject():
    return {"admin_state": session.get("admin") if request.path.startswith("/admin") else None,
            "role_labels": ROLE_LABELS}
