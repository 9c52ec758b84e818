"""Server-to-server interfaces: getSign, ticketToToken, getUserInfo, codes (DB37/T 3448.8 6.3-6.5).

Every call is a signed form POST; the answer is always HTTP 200 with ``{"code","msg","data"}``.
Checks run cheapest-first and the nonce is recorded only after the signature holds, so a forger
can't burn a legitimate caller's nonces.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import re
import time
from typing import Any

from flask import Blueprint, jsonify, request

from gateway.federation.cnid import mask_id_number, mask_mobile

from . import codes
from .app import Sim, sim
from .seed import App
from .signing import sm3_hex, verify

bp = Blueprint("interface", __name__, url_prefix="/jpaas-jis-sso-server/sso/interface")

NONCE_RE = re.compile(r"^[0-9a-fA-F]{16,64}$")
CST = dt.timezone(dt.timedelta(hours=8))


class Refusal(Exception):
    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


def envelope(code: str, data: Any = None):
    return jsonify({"code": code, "msg": codes.msg(code), "data": data if data is not None else {}})


def _authenticate_call(s: Sim, required: tuple[str, ...]) -> tuple[App, dict[str, str]]:
    form = request.form.to_dict()
    for name in ("appMark", "timestamp", "nonce", "sign", *required):
        if not form.get(name):
            raise Refusal(codes.MISSING_PARAM)
    if not NONCE_RE.match(form["nonce"]) or not form["timestamp"].isdigit():
        raise Refusal(codes.MISSING_PARAM)
    app = s.seed.apps.get(form["appMark"])
    if app is None or not app.online:
        raise Refusal(codes.APP_UNKNOWN)
    try:
        caller = ipaddress.ip_address(request.remote_addr or "")
    except ValueError:
        raise Refusal(codes.IP_DENIED) from None
    if not any(caller in net for net in app.ip_whitelist):
        raise Refusal(codes.IP_DENIED)
    if abs(int(form["timestamp"]) / 1000 - s.config.clock()) > s.config.timestamp_window:
        raise Refusal(codes.STALE_TIMESTAMP)
    if not verify(form, app.app_word):
        raise Refusal(codes.BAD_SIGN)
    if not s.store.use_nonce(app.app_mark, form["nonce"].lower(), s.config.nonce_ttl):
        raise Refusal(codes.REPLAYED_NONCE)
    return app, form


def _require_app_sign(s: Sim, app: App, form: dict[str, str]) -> None:
    if app.require_app_sign and not s.store.app_sign_valid(form.get("appSign", ""), app.app_mark):
        raise Refusal(codes.BAD_APP_SIGN)


def _faults(s: Sim) -> None:
    slow = float(s.store.faults.get("slow_seconds") or 0)
    if slow > 0:
        time.sleep(slow)
    if s.store.faults.get("busy"):
        raise Refusal(codes.BUSY)


def _call(handler, *required: str):
    s = sim()
    try:
        _faults(s)
        app, form = _authenticate_call(s, required)
        return envelope(codes.OK, handler(s, app, form))
    except Refusal as refusal:
        return envelope(refusal.code)


def _get_sign(s: Sim, app: App, form: dict[str, str]) -> dict:
    ttl = s.config.app_sign_ttl
    return {"appSign": s.store.issue_app_sign(app.app_mark, ttl), "expiresIn": int(ttl)}


def _ticket_to_token(s: Sim, app: App, form: dict[str, str]) -> dict:
    _require_app_sign(s, app, form)
    store = s.store
    with store.lock:  # check-and-consume must be atomic: a ticket is single-use
        tk = store.tickets.get(form["ticket"])
        if tk is None:
            raise Refusal(codes.TICKET_INVALID)
        if tk.app_mark != app.app_mark:
            raise Refusal(codes.TICKET_WRONG_APP)
        # backUrl is optional on the wire (the spec's example omits it); when sent it must match
        # the URL the ticket was issued for, like CAS's ``service`` ([inference]).
        if form.get("backUrl") and form["backUrl"] != tk.back_url:
            raise Refusal(codes.TICKET_WRONG_APP)
        if tk.used:
            raise Refusal(codes.TICKET_USED)
        if store.clock() - tk.created > s.config.ticket_ttl:
            raise Refusal(codes.TICKET_EXPIRED)
        tk.used = True
        sess = store.sessions.get(tk.session_id)
        if sess is None or sess.ended:
            raise Refusal(codes.LOGGED_OUT)
        tok = store.issue_token(tk, s.config.token_ttl, s.config.token_max_lifetime)
    return {"token": tok.token, "expiresIn": int(s.config.token_ttl), "userType": str(tok.user_type),
            "authLevel": str(sess.auth_level)}


def _user_info(s: Sim, app: App, form: dict[str, str]) -> dict:
    _require_app_sign(s, app, form)
    store = s.store
    with store.lock:
        tok = store.tokens.get(form["token"])
        if tok is None or tok.app_mark != app.app_mark:
            raise Refusal(codes.TOKEN_INVALID)
        sess = store.sessions[tok.session_id]
        if sess.ended:
            raise Refusal(codes.LOGGED_OUT)
        now = store.clock()
        if tok.expires <= now:
            raise Refusal(codes.TOKEN_INVALID)
        tok.expires = min(now + s.config.token_ttl, tok.created + s.config.token_max_lifetime)  # sliding
    return user_info(s, app, sess, tok.user_type, tok.corp_id)


def user_info(s: Sim, app: App, sess, user_type: int, corp_id: str | None) -> dict:
    """The §2.5 document, limited to the attributes granted to ``app`` (minimum necessary)."""
    user = s.seed.users[sess.user_id]
    level = str(sess.auth_level)
    data: dict[str, Any] = {"userType": str(user_type), "userId": user.user_id, "loginName": user.login_name}
    if user.name and app.grants("name"):
        data["name"] = user.name
    if user.id_number:
        data["idType"] = user.id_type
        if app.grants("idNumber"):
            data["idNumber"] = user.id_number
            data["certKey"] = sm3_hex(user.id_number + user.name)
        data["idNumberMasked"] = mask_id_number(user.id_number)
    if user.sex and app.grants("sex"):
        data["sex"] = user.sex
    if user.mobile:
        if app.grants("mobile"):
            data["mobile"] = user.mobile
        data["mobileMasked"] = mask_mobile(user.mobile)
    data.update(authLevel=level, authLevelName=codes.AUTH_LEVELS[level], authMethods=list(sess.auth_methods),
                loginTime=dt.datetime.fromtimestamp(sess.login_time, CST).strftime("%Y-%m-%d %H:%M:%S"),
                sessionIndex=sess.session_index)
    role = "0"
    if user_type == 2 and corp_id:
        unit = next(u for u in user.units if u.corp_id == corp_id)
        corp = s.seed.corps[corp_id]
        role = unit.role
        if app.grants("corp"):
            data["corp"] = {"corpId": corp.corp_id, "corpName": corp.corp_name, "uscc": corp.uscc,
                            "corpType": corp.corp_type, "legalPersonName": corp.legal_person_name,
                            "legalPersonIdMasked": mask_id_number(corp.legal_person_id),
                            "corpAuthLevel": str(corp.corp_auth_level),
                            "authorizedCorpCount": len(user.units)}
    data.update(accountRole=role, accountRoleName=codes.ACCOUNT_ROLES[role])
    return data


@bp.post("/getSign")
def get_sign():
    return _call(_get_sign)


@bp.post("/ticketToToken")
def ticket_to_token():
    return _call(_ticket_to_token, "ticket")


@bp.post("/getUserInfo")
def get_user_info():
    return _call(_user_info, "token")


@bp.get("/codes")
def code_sets():
    """D.1/D.2/D.3 (plus idType and corpType); public metadata, so unsigned."""
    return envelope(codes.OK, {"returnCodes": codes.RETURN_CODES, "authLevels": codes.AUTH_LEVELS,
                               "accountRoles": codes.ACCOUNT_ROLES, "idTypes": codes.ID_TYPES,
                               "corpTypes": codes.CORP_TYPES})
