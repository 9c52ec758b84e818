"""Console sign-in: password (local account or department directory), then TOTP; re-auth; logout."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _

from ..account.login import finish_login
from ..federation.base import ConnectorError, InvalidCredentials
from .console import admin_ext, bp, end_admin_session, guard, label, safe_next, state, svc
from .mfa import qr_data_uri
from .roles import admin_roles


def _directories():
    ldap = svc().connectors.get("ldap")
    return ldap.directories if ldap else []


def _authenticate(username: str, password: str, directory: str):
    """(account key, identity) or (account key, None) after recording the failure."""
    s = svc()
    if directory:
        ldap = s.connectors.get("ldap")
        if ldap is None or directory not in {d.name for d in ldap.directories}:
            abort(400)
        key, auth = f"ldap:{directory}:{username}", lambda: ldap.authenticate(directory, username, password)
    else:
        key, auth = f"local:{username}", lambda: s.accounts.authenticate(username, password)
    ip = s.client_ip(request)
    if s.lockout.is_locked(key):
        s.audit.record("admin.login", result="failure", actor=key, ip=ip, reason="locked")
        return key, None
    try:
        identity = auth()
    except InvalidCredentials as exc:
        if s.lockout.failure(key):
            s.audit.record("account.locked", result="failure", actor=key, ip=ip)
        s.audit.record("admin.login", result="failure", actor=key, ip=ip, reason=exc.reason)
        return key, None
    except ConnectorError as exc:
        s.audit.record("admin.login", result="failure", actor=key, ip=ip, reason=exc.reason)
        return key, None
    s.lockout.success(key)
    return key, identity


@bp.get("/login")
def login():
    return render_template("admin/login.html", directories=_directories())


@bp.post("/login")
def login_post():
    s = svc()
    username = request.form.get("username", "").strip()[:128]
    directory = request.form.get("directory", "")
    key, identity = _authenticate(username, request.form.get("password", "")[:256], directory)
    if identity is None:
        flash(_("用户名或密码错误"), "error")
        return redirect(url_for("admin.login"))
    if _disabled(identity):  # a locked directory account must not come back through the console
        s.audit.record("admin.login", result="failure", actor=key, reason="account locked by an admin")
        flash(_("用户名或密码错误"), "error")
        return redirect(url_for("admin.login"))
    roles = admin_roles(identity.roles, s.settings.admin.role_map)
    if len(roles) > 1:  # 三员分立: one person, one admin role
        s.audit.record("admin.login", result="failure", actor=key, reason="several admin roles",
                       roles=sorted(roles))
        flash(_("该账号同时拥有多个管理角色，违反三员分立要求，请联系安全管理员"), "error")
        return redirect(url_for("admin.login"))
    finish_login(identity, None)
    principal = session["principal"]
    if not roles:
        if is_developer(principal):
            return redirect(url_for("admin.my_requests"))
        return render_template("admin/error.html", title=_("无权访问管理控制台"),
                               detail=_("您已登录，但没有管理角色。")), 403
    session["admin"] = {"user_id": principal["user_id"], "sid": principal["sid"], "role": roles.pop(),
                        "username": username, "directory": directory, "name": principal.get("name", ""),
                        "stage": "mfa", "seen": s.clock()}
    return redirect(url_for("admin.mfa"))


def _disabled(identity) -> bool:
    from sqlalchemy import select

    from ..account.models import FederatedIdentity, User

    if identity.connector == "local":
        return False  # LocalAccounts.authenticate already refuses disabled accounts
    with svc().db.session() as s:
        user = s.scalar(select(User).join(FederatedIdentity, FederatedIdentity.user_id == User.id).where(
            FederatedIdentity.connector == identity.connector, FederatedIdentity.upstream_id == identity.upstream_id))
        return bool(user and user.disabled)


def is_developer(principal: dict | None) -> bool:
    if not principal:
        return False
    developer_roles = set(svc().settings.admin.developer_roles)
    return principal.get("user_type") == "staff" or bool(developer_roles & set(principal.get("roles") or ()))


def _pending() -> dict | None:
    st = state()
    if st is None or st.get("stage") != "mfa" or svc().clock() - st.get("seen", 0) > svc().settings.admin.idle_timeout:
        return None
    return st


def _mfa_failed(st: dict) -> None:
    s = svc()
    s.audit.record("admin.mfa", result="failure", actor=label(st), user_id=st["user_id"], ip=s.client_ip(request))
    if s.lockout.failure(f"admin-mfa:{st['user_id']}"):
        end_admin_session("mfa_locked")
        flash(_("动态验证码错误次数过多，请稍后再试"), "error")
    else:
        flash(_("动态验证码错误"), "error")


def _mfa_done(st: dict, method: str):
    s = svc()
    s.lockout.success(f"admin-mfa:{st['user_id']}")
    now = s.clock()
    st.update(stage="ok", seen=now, reauth_at=now)
    session["admin"] = st
    principal = session["principal"]
    principal["amr"] = sorted(set(principal.get("amr") or []) | {"otp" if method == "totp" else "mfa"})
    session["principal"] = principal
    s.audit.record("admin.login", actor=label(st), user_id=st["user_id"], role=st["role"], ip=s.client_ip(request),
                   second_factor=method)


@bp.route("/mfa", methods=["GET", "POST"])
def mfa():
    st = _pending()
    if st is None:
        return redirect(url_for("admin.login"))
    store = admin_ext().mfa
    if not store.enrolled(st["user_id"]):
        return redirect(url_for("admin.mfa_enrol"))
    if request.method == "POST":
        s = svc()
        if s.lockout.is_locked(f"admin-mfa:{st['user_id']}"):
            end_admin_session("mfa_locked")
            flash(_("动态验证码错误次数过多，请稍后再试"), "error")
            return redirect(url_for("admin.login"))
        method = store.verify(st["user_id"], request.form.get("code", "")[:32])
        if method is None:
            _mfa_failed(st)
            return redirect(url_for("admin.mfa") if state() else url_for("admin.login"))
        _mfa_done(st, method)
        if method == "recovery":
            flash(_("已使用一个恢复码，剩余 %(n)s 个", n=store.recovery_left(st["user_id"])), "notice")
        return redirect(url_for("admin.dashboard"))
    return render_template("admin/mfa.html")


@bp.route("/mfa/enrol", methods=["GET", "POST"])
def mfa_enrol():
    st = _pending()
    if st is None:
        return redirect(url_for("admin.login"))
    store = admin_ext().mfa
    if store.enrolled(st["user_id"]):
        return redirect(url_for("admin.mfa"))
    if request.method == "POST":
        codes = store.confirm(st["user_id"], request.form.get("code", "")[:32])
        if codes is None:
            _mfa_failed(st)
            return redirect(url_for("admin.mfa_enrol") if state() else url_for("admin.login"))
        svc().audit.record("admin.mfa_enrol", actor=label(st), user_id=st["user_id"])
        _mfa_done(st, "totp")
        return render_template("admin/recovery_codes.html", codes=codes)
    secret, uri = store.begin(st["user_id"], st.get("username") or st["user_id"])
    return render_template("admin/mfa_enrol.html", secret=secret, qr=qr_data_uri(uri))


@bp.route("/reauth", methods=["GET", "POST"])
@guard()
def reauth():
    from flask import g

    st = g.admin
    target = safe_next(request.values.get("next"))
    if request.method == "POST":
        s = svc()
        _key, identity = _authenticate(st.get("username", ""), request.form.get("password", "")[:256],
                                    st.get("directory", ""))
        # The same account as at sign-in (same username and directory), and the same factor.
        if identity is not None and (identity.connector != "local" or identity.upstream_id == st["user_id"]):
            if admin_ext().mfa.verify(st["user_id"], request.form.get("code", "")[:32]) is not None:
                st["reauth_at"] = s.clock()
                session["admin"] = st
                s.audit.record("admin.reauth", actor=label(st), user_id=st["user_id"], role=st["role"])
                return redirect(target)
        s.audit.record("admin.reauth", result="failure", actor=label(st), user_id=st["user_id"])
        flash(_("密码或动态验证码错误"), "error")
    return render_template("admin/reauth.html", next=target)


@bp.post("/logout")
def logout():
    end_admin_session("logout")
    flash(_("已退出管理控制台"), "notice")
    return redirect(url_for("admin.login"))
