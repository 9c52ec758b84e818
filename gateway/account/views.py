"""Blueprint ``account``: login, consent and the pages around them."""

from __future__ import annotations

from flask import (Blueprint, abort, current_app, flash, make_response, redirect, render_template, request,
                   session, url_for)
from flask_babel import gettext as _

from ..federation.base import ConnectorError, InvalidCredentials
from ..registry.policy import is_sensitive, label, requested
from .login import finish_login

bp = Blueprint("account", __name__)


def N_(text: str) -> str:
    """Mark a string for translation where it is defined; it is translated where it is shown."""
    return text

MESSAGES = {
    "login.invalid_credentials": N_("用户名或密码错误"),
    "ldap.directory_unavailable": N_("该部门目录服务暂时不可用，请稍后再试；其他登录方式不受影响"),
    "ldap.account_disabled": N_("该账号已在部门目录中停用"),
    "provincial.unavailable": N_("省统一身份认证系统暂时不可用，请稍后再试"),
    "provincial.refused": N_("省统一身份认证系统拒绝了本次登录"),
    "provincial.invalid_id": N_("省统一身份认证系统返回的身份证号无效，登录已拒绝"),
    "provincial.state_invalid": N_("登录状态已失效，请重新登录"),
    "provincial.ticket_invalid": N_("登录票据无效或已使用，请重新登录"),
    "provincial.session_ended": N_("省统一身份认证会话已结束，请重新登录"),
    "provincial.level_too_low": N_("实名认证等级不足，无法登录该应用"),
    "provincial.user_type_not_allowed": N_("该账号类型不能登录此应用"),
    "provincial.account_frozen": N_("该账号已被冻结，请联系省统一身份认证客服"),
    "provincial.bad_response": N_("省统一身份认证系统返回了无法识别的数据"),
}

def _svc():
    return current_app.extensions["gateway"]


def user_message(key: str) -> str:
    return _(MESSAGES.get(key, "登录失败，请重试"))


def _tx(tx_id: str | None) -> dict | None:
    return _svc().transactions.get(tx_id) if tx_id else None


@bp.get("/")
def home():
    return render_template("account/home.html", principal=session.get("principal"),
                           links=_svc().settings.home_links)


@bp.get("/login")
def login():
    svc = _svc()
    tx_id = request.args.get("tx", "")
    tx = _tx(tx_id)
    client = svc.clients.get(tx.get("client_id")) if tx else None
    ldap = svc.connectors.get("ldap")
    return render_template(
        "account/login.html", tx_id=tx_id if tx else "", tx=tx, client=client,
        provincial_enabled="provincial" in svc.connectors,
        directories=ldap.directories if ldap else [],
        login_hint=(tx or {}).get("args", {}).get("login_hint", "")[:128],
        reason=(tx or {}).get("reason"), required_level=(tx or {}).get("required_level", 0))


def _rate_limited(account: str) -> bool:
    return _svc().lockout.is_locked(account)


def _password_login(account_key: str, authenticate, tx_id: str):
    """Common path for every password login: lockout, one message for all failures, audit."""
    svc = _svc()
    if _rate_limited(account_key):
        svc.audit.record("login.failure", result="failure", actor=account_key, reason="locked")
        flash(user_message("login.invalid_credentials"), "error")
        return redirect(url_for("account.login", tx=tx_id)), None
    try:
        identity = authenticate()
    except InvalidCredentials as exc:
        locked = svc.lockout.failure(account_key)
        svc.audit.record("login.failure", result="failure", actor=account_key, reason=exc.reason)
        if locked:
            svc.audit.record("account.locked", result="failure", actor=account_key)
        flash(user_message(exc.user_message), "error")
        return redirect(url_for("account.login", tx=tx_id)), None
    except ConnectorError as exc:
        svc.audit.record("login.failure", result="failure", actor=account_key, reason=exc.reason)
        flash(user_message(exc.user_message), "error")
        return redirect(url_for("account.login", tx=tx_id)), None
    svc.lockout.success(account_key)
    return None, identity


@bp.post("/login/local")
def login_local():
    svc = _svc()
    tx_id = request.form.get("tx", "")
    username = request.form.get("username", "").strip()
    password = request.form.get("password", "")
    response, identity = _password_login(f"local:{username}", lambda: svc.accounts.authenticate(username, password),
                                         tx_id)
    if response is None and svc.accounts.password_expired(identity.upstream_id):
        from .password_change import require_change

        return require_change(identity, username, tx_id)
    return response or finish_login(identity, tx_id or None)


@bp.post("/login/staff")
def login_staff():
    svc = _svc()
    ldap = svc.connectors.get("ldap")
    if ldap is None:
        abort(404)
    tx_id = request.form.get("tx", "")
    username = request.form.get("username", "").strip()
    password = request.form.get("password", "")
    # "zhangwei@rsj" typed into the username field selects the directory too (docs/ldap.md)
    directory, username = ldap.resolve(username, request.form.get("directory", ""))
    if directory not in {d.name for d in ldap.directories}:
        flash(_("请选择所在部门"), "error")
        return redirect(url_for("account.login", tx=tx_id))
    response, identity = _password_login(f"ldap:{directory}:{username}",
                                         lambda: ldap.authenticate(directory, username, password), tx_id)
    return response or finish_login(identity, tx_id or None)


@bp.route("/consent", methods=["GET", "POST"])
def consent():
    svc = _svc()
    tx_id = request.values.get("tx", "")
    tx = _tx(tx_id)
    principal = session.get("principal")
    if not tx or not principal:
        return render_template("error.html", title=_("登录已超时"), detail=_("请返回原网站重新登录。")), 400
    client = svc.clients.get(tx["client_id"])
    if client is None:
        return render_template("error.html", title=_("应用不可用"), detail=""), 400
    scope = tx.get("scope", "")
    items = requested(client.release_policy, scope)
    if request.method == "POST":
        if request.form.get("decision") == "allow":
            chosen = [c for c in request.form.getlist("claim") if items.get(c, {}).get("basis") == "consent"]
            svc.consents.grant(principal["user_id"], client, scope, chosen)
            svc.audit.record("consent.grant", user_id=principal["user_id"], client_id=client.client_id,
                             scope=scope, claims=sorted(chosen))
            tx["consent_done"] = True
            svc.transactions.put(tx_id, tx)
            return redirect(url_for("oidc.authorize_continue", tx=tx_id))
        svc.audit.record("consent.deny", result="failure", user_id=principal["user_id"], client_id=client.client_id)
        from authlib.common.urls import add_params_to_uri

        svc.transactions.take(tx_id)
        args = tx["args"]
        params = [("error", "access_denied"), ("iss", svc.settings.issuer)]
        if args.get("state"):
            params.append(("state", args["state"]))
        return redirect(add_params_to_uri(args["redirect_uri"], params))

    def rows(basis: str, sensitive: bool):
        return [{"claim": c, "label": _(label(c)), "purpose": r["purpose"]} for c, r in sorted(items.items())
                if r["basis"] == basis and (basis == "statutory" or is_sensitive(c) == sensitive)]

    return render_template("account/consent.html", client=client, tx_id=tx_id, statutory=rows("statutory", False),
                           optional=rows("consent", False), sensitive=rows("consent", True))


@bp.get("/logged-out")
def logged_out():
    return render_template("account/logged_out.html", cancelled=bool(request.args.get("cancelled")))


@bp.get("/lang/<code>")
def set_language(code: str):
    response = make_response(redirect(request.referrer if _same_origin(request.referrer) else url_for("account.home")))
    if code in ("zh_CN", "en"):
        response.set_cookie("gw_lang", code, max_age=365 * 86400, samesite="Lax", httponly=True,
                            secure=_svc().settings.secure_cookies)
    return response


def _same_origin(url: str | None) -> bool:
    return bool(url) and url.startswith(_svc().settings.issuer + "/")
