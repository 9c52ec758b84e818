"""Blueprint ``password``: change a local password — required when it has expired, voluntary otherwise.

An expired password authenticates but does not log in: the login is parked in the (pre-login)
session for ``PARK_SECONDS`` and completes only after a policy-compliant change (length, classes,
not the username, not one of the last N).
"""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _

from ..federation.base import Identity, InvalidCredentials
from .login import finish_login
from .models import User
from .passwords import PasswordPolicyError

bp = Blueprint("password", __name__)
PARK_SECONDS = 600


def _svc():
    return current_app.extensions["gateway"]


def require_change(identity: Identity, username: str, tx_id: str):
    """Called instead of finish_login when the password has expired."""
    svc = _svc()
    session["pw_change"] = {"user_id": identity.upstream_id, "username": username, "tx": tx_id,
                            "exp": int(svc.clock()) + PARK_SECONDS}
    svc.audit.record("password.expired", user_id=identity.upstream_id)
    flash(_("您的密码已过期，请设置新密码后继续登录。"), "error")
    return redirect(url_for("password.change_password"))


def _who() -> tuple[str, str, dict | None] | None:
    parked = session.get("pw_change")
    if parked and parked.get("exp", 0) >= _svc().clock():
        return parked["user_id"], parked["username"], parked
    principal = session.get("principal")
    if principal and principal.get("connector") == "local":
        with _svc().db.session() as s:
            user = s.get(User, principal["user_id"])
        return principal["user_id"], (user.username if user else "") or "", None
    return None


@bp.route("/account/password", methods=["GET", "POST"])
def change_password():
    svc = _svc()
    who = _who()
    if who is None:
        return redirect(url_for("account.login"))
    user_id, username, parked = who
    if request.method == "GET":
        return render_template("account/change_password.html", expired=parked is not None)
    old, new = request.form.get("old_password", ""), request.form.get("new_password", "")
    if new != request.form.get("confirm_password", ""):
        flash(_("两次输入的新密码不一致"), "error")
        return redirect(url_for("password.change_password"))
    try:
        svc.accounts.change_password(user_id, old, new)
    except PasswordPolicyError as exc:
        if "当前密码不正确" in str(exc):
            svc.lockout.failure(f"local:{username}")
        svc.audit.record("password.change", result="failure", user_id=user_id, reason="policy or wrong password")
        flash(str(exc), "error")
        return redirect(url_for("password.change_password"))
    svc.audit.record("password.change", user_id=user_id)
    if parked is None:
        flash(_("密码已修改"), "info")
        return redirect(url_for("account.home"))
    session.pop("pw_change", None)
    try:
        identity = svc.accounts.authenticate(username, new)
    except InvalidCredentials:  # disabled in between
        return redirect(url_for("account.login", tx=parked.get("tx") or None))
    return finish_login(identity, parked.get("tx") or None)
