"""Browser-facing pages: login (password + simulated SMS), unit choice, real-name level raise,
logout and the legal-person unit switch (DB37/T 3448.8 interfaces 6.2, 6.6 and 6.7).

Plain HTML forms with a hidden ``tx`` id and CSRF token so an HTTP test client can drive them.
"""

from __future__ import annotations

from flask import Blueprint, Response, redirect, render_template, request

from . import codes
from .app import sim
from .backchannel import send_logout_notices
from .seed import App
from .store import LoginTx, Session
from .urls import add_query, back_url_allowed

bp = Blueprint("browser", __name__)

COOKIE = "JIS_TGC"
SSO = "/jpaas-jis-sso-server/sso"


def error_page(code: str, detail: str = "", back_link: str = "", status: int = 400) -> Response:
    body = render_template("error.html", code=code, msg=codes.msg(code), detail=detail, back_link=back_link)
    return Response(body, status=status, mimetype="text/html")


def _session() -> Session | None:
    s = sim()
    return s.store.live_session(request.cookies.get(COOKIE), s.config.session_ttl)


def _check_app(app_mark: str, back_url: str) -> tuple[App | None, Response | None]:
    """Unknown app -> 1002, unregistered backUrl -> 1007; both are pages, never redirects."""
    app = sim().seed.apps.get(app_mark)
    if app is None or not app.online:
        return None, error_page(codes.APP_UNKNOWN, f"appMark: {app_mark or '(空)'}")
    if not back_url_allowed(app, back_url):
        return None, error_page(codes.BACKURL_DENIED, "为防止跳转到未登记地址，本次请求已终止。")
    return app, None


def _tx_from_form() -> LoginTx | None:
    return sim().store.get_tx(request.form.get("tx", ""), request.form.get("csrf", ""))


def _expired_tx() -> Response:
    return error_page(codes.MISSING_PARAM, "登录页面已失效，请返回应用重新发起登录。")


def _login_form(tx: LoginTx, error: str = "") -> str:
    app = sim().seed.apps[tx.app_mark]
    return render_template("login.html", tx=tx, app=app, error=error)


def _proceed(tx: LoginTx, sess: Session) -> Response:
    """Everything after authentication: unit choice, level check, then the ticket redirect."""
    s = sim()
    user = s.seed.users[sess.user_id]
    tx.session_id = sess.session_id
    if tx.user_type == 2:
        if not user.units:
            return error_page(codes.USER_TYPE_DENIED, "当前账号未绑定任何单位，不能以法人身份登录。", status=403)
        unit_ids = [u.corp_id for u in user.units]
        if tx.switch_corp or sess.corp_id not in unit_ids:
            default = next((u for u in user.units if u.default), None)
            if default is None and len(user.units) == 1:
                default = user.units[0]
            if tx.switch_corp or default is None:
                units = [(u, s.seed.corps[u.corp_id]) for u in user.units]
                return Response(render_template("corp.html", tx=tx, units=units, current=sess.corp_id,
                                                roles=codes.ACCOUNT_ROLES), mimetype="text/html")
            s.store.set_corp(sess, default.corp_id)
    if sess.auth_level < tx.required_level:
        app = s.seed.apps[tx.app_mark]
        return Response(render_template("raise.html", tx=tx, app=app, levels=codes.AUTH_LEVELS,
                                        current=str(sess.auth_level), required=str(tx.required_level)),
                        mimetype="text/html")
    ticket = s.store.issue_ticket(sess, tx.app_mark, tx.back_url, tx.user_type)
    s.store.drop_tx(tx.tx_id)
    return redirect(add_query(tx.back_url, ticket=ticket.ticket), code=302)


def _entry(mobile: bool, switch_corp: bool = False) -> Response | str:
    args = request.args
    back_url = args.get("backUrl", "")
    app, err = _check_app(args.get("appMark", ""), back_url)
    if err:
        return err
    user_type = "2" if switch_corp else args.get("userType", "1")
    level = args.get("authLevel", "")  # our step-up extension [inference]
    if user_type not in ("1", "2") or (level and level not in codes.AUTH_LEVELS):
        return error_page(codes.MISSING_PARAM, "userType 或 authLevel 参数不正确。")
    if int(user_type) not in app.user_types:
        return error_page(codes.USER_TYPE_DENIED, f"应用“{app.app_name}”不接受该类型用户登录。", status=403)
    # gbTrust (national-platform trust) is accepted and ignored: its meaning is not public.
    required = max(app.min_auth_level, int(level or 0))
    tx = sim().store.create_tx(app_mark=app.app_mark, user_type=int(user_type), back_url=back_url,
                               required_level=required, mobile=mobile, switch_corp=switch_corp)
    sess = _session()
    # forceLogin=1 asks for a fresh login even with a session (our extension [inference], used by
    # the gateway for prompt=login and max_age).
    if sess is not None and args.get("forceLogin") != "1":
        return _proceed(tx, sess)
    return _login_form(tx)


@bp.get("/jis-web/login")
def login() -> Response | str:
    return _entry(mobile=False)


@bp.get("/jis-web/login_m")
def login_mobile() -> Response | str:
    return _entry(mobile=True)


@bp.get(f"{SSO}/entrance/auth-center")
@bp.get(f"/api-gateway{SSO}/entrance/auth-center")
def auth_center() -> Response | str:
    return _entry(mobile=False)


@bp.post("/jis-web/login/password")
def password_step() -> Response | str:
    tx = _tx_from_form()
    if tx is None:
        return _expired_tx()
    user = sim().seed.user_by_login(request.form.get("loginName", ""))
    if user is None or user.password != request.form.get("password", ""):
        return _login_form(tx, "用户名或密码错误")  # same message for an unknown user
    if user.frozen:
        return error_page(codes.ACCOUNT_FROZEN, "请联系客服解冻账号。", status=403)
    tx.user_id = user.user_id
    return render_template("sms.html", tx=tx, mobile=user.mobile, sms_code=sim().seed.sms_code, error="")


@bp.post("/jis-web/login/sms")
def sms_step() -> Response | str:
    s = sim()
    tx = _tx_from_form()
    if tx is None or tx.user_id is None:
        return _expired_tx()
    user = s.seed.users[tx.user_id]
    if request.form.get("smsCode", "").strip() != s.seed.sms_code:
        return render_template("sms.html", tx=tx, mobile=user.mobile, sms_code=s.seed.sms_code,
                               error="短信验证码错误")
    sess = s.store.create_session(user.user_id, user.auth_level, ["pwd", "sms"])
    resp = _proceed(tx, sess)
    resp.set_cookie(COOKIE, sess.session_id, httponly=True, samesite="Lax", path="/")
    return resp


def _tx_session() -> tuple[LoginTx | None, Session | None]:
    """The transaction and the live session it belongs to (both must match the cookie)."""
    tx, sess = _tx_from_form(), _session()
    if tx is None or sess is None or tx.session_id != sess.session_id:
        return None, None
    return tx, sess


@bp.post("/jis-web/login/corp")
def corp_step() -> Response:
    tx, sess = _tx_session()
    if tx is None:
        return _expired_tx()
    user = sim().seed.users[sess.user_id]
    corp_id = request.form.get("corpId", "")
    if corp_id not in [u.corp_id for u in user.units]:
        return error_page(codes.USER_TYPE_DENIED, "未获授权的单位。", status=403)
    sim().store.set_corp(sess, corp_id)
    tx.switch_corp = False
    return _proceed(tx, sess)


@bp.post("/jis-web/login/raise-level")
def raise_level() -> Response:
    """Simulated face check: reaches the user's seeded maximum level, or refuses with 4001."""
    tx, sess = _tx_session()
    if tx is None:
        return _expired_tx()
    user = sim().seed.users[sess.user_id]
    if user.max_auth_level < tx.required_level:
        back = add_query(tx.back_url, error=codes.LEVEL_TOO_LOW)
        sim().store.drop_tx(tx.tx_id)
        return error_page(codes.LEVEL_TOO_LOW, "人脸比对未通过，或账号无法达到该应用要求的实名认证等级。",
                          back_link=back, status=403)
    sim().store.raise_level(sess, user.max_auth_level, "face")
    return _proceed(tx, sess)


@bp.get(f"{SSO}/entrance/switch-corp")
def switch_corp() -> Response | str:
    return _entry(mobile=False, switch_corp=True)


@bp.get(f"{SSO}/logout")
@bp.get("/sso/logout")
def logout() -> Response:
    s = sim()
    back_url = request.args.get("backUrl", "")
    app = s.seed.apps.get(request.args.get("appMark", ""))
    sess_id = request.cookies.get(COOKIE, "")
    ended = s.store.end_session(sess_id) if sess_id else None
    if ended is not None:
        send_logout_notices(s, ended)
    if app is not None and app.online and back_url_allowed(app, back_url):
        resp = redirect(back_url, code=302)
    else:
        resp = Response(render_template("logged_out.html", rejected=bool(back_url)), mimetype="text/html")
    resp.delete_cookie(COOKIE, path="/")
    return resp
