"""Turning an authenticated upstream identity into an SSO session."""

from __future__ import annotations

from flask import current_app, flash, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import login_user

from ..federation.base import Identity
from ..sessions.sso import new_sid
from .users import SessionUser


def _svc():
    return current_app.extensions["gateway"]


def mask_ip(ip: str | None) -> str:
    """Shown on "my sessions": enough to recognise a network, not to identify a household."""
    if not ip:
        return ""
    if ":" in ip:
        return ":".join(ip.split(":")[:3]) + ":*"
    parts = ip.split(".")
    return ".".join(parts[:2] + ["*", "*"]) if len(parts) == 4 else "*"


def finish_login(identity: Identity, tx_id: str | None):
    """Link the identity, start a fresh SSO session (new id), and resume the pending request."""
    svc = _svc()
    if identity.connector == "local":
        user_id, identity_id = identity.upstream_id, None
    else:
        user_id, identity_id = svc.identities.link(identity)
        if svc.identities.is_disabled(user_id):
            # Locked by an administrator: the upstream vouching for the person does not override it.
            svc.audit.record("login.failure", result="failure", user_id=user_id, connector=identity.connector,
                             reason="account locked by an administrator")
            flash(_("该账号已被管理员锁定，请联系网关管理员"), "error")
            return redirect(url_for("account.login", tx=tx_id or None))
    previous = session.get("principal")
    if previous and previous.get("user_id") != user_id:
        # Another person logs in on this browser: the previous session ends everywhere.
        svc.end_session(previous["sid"], reason="replaced", actor=user_id)
        session.clear()
    sid = previous["sid"] if previous and previous.get("user_id") == user_id else new_sid()
    rps = previous.get("rps", {}) if previous and previous.get("user_id") == user_id else {}
    session.regenerate()  # session fixation: the pre-login id never carries a login
    session["_device"] = {"ua": request.user_agent.string[:160], "ip": mask_ip(svc.client_ip(request))}
    session["principal"] = {
        "user_id": user_id, "identity_id": identity_id, "sid": sid, "connector": identity.connector,
        "auth_time": identity.auth_time, "acr": identity.acr, "amr": list(identity.amr),
        "user_type": identity.user_type, "name": str(identity.claims.get("name") or ""),
        "roles": list(identity.roles), "upstream": dict(identity.upstream_session), "rps": rps,
    }
    login_user(SessionUser(session["principal"]))
    svc.audit.record("login.success", user_id=user_id, connector=identity.connector, acr=identity.acr,
                     amr=list(identity.amr))
    if tx_id:
        tx = svc.transactions.get(tx_id)
        if tx:
            tx["login_done"] = True
            svc.transactions.put(tx_id, tx)
            return redirect(url_for("oidc.authorize_continue", tx=tx_id))
    return redirect(url_for("account.home"))
