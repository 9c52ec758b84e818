"""市市场监督管理局 · 企业开办 — a portal for legal persons on the SDK (port 5003).

Requires a level-2 login (``@sso.require_acr``: steps up when the session is lower) and a
legal-person user (``cn_user_type == "legal"``); shows the unit (``corp``) the agent acts for,
links to the gateway's unit switch, and asks the business API for the unit's filings.
"""

from __future__ import annotations

import functools
from typing import Any

import requests
from flask import Flask, redirect, url_for

from sso_client.flask import current_sso_user

from ..common import DEFAULT_ISSUER, LOA, LOGOUT_BUTTON, call_api, level, portal_app, render, settings

DEFAULTS = {
    "SSO_ISSUER": DEFAULT_ISSUER,
    "SSO_CLIENT_ID": "wf-qykb",
    "SSO_CLIENT_SECRET": None,
    "PORTAL_BASE_URL": "http://127.0.0.1:5003",
    "SESSION_REDIS_URL": None,
    "PORTAL_SECRET_KEY": None,
    "BUSINESS_API_URL": "http://127.0.0.1:5004",
    "SSO_JWKS_MIN_REFETCH_INTERVAL": None,
}
SCOPE = "openid profile corp"
REQUIRED_ACR = LOA + "2"
ROLES = {"legal_representative": "法定代表人", "admin": "管理员", "agent": "经办人"}
SITE = {"site": "企业开办一网通办", "department": "潍坊市市场监督管理局", "color": "#a8321f",
        "nav": [("/", "首页"), ("/company", "我的企业")]}

INDEX = """
{% if user %}
  <p>{{ user.name or "您好" }}，欢迎使用企业开办一网通办。</p>
  <p><a class="btn" href="/company">进入企业办事</a> """ + LOGOUT_BUTTON + """</p>
{% else %}
  <p>本系统面向法人用户，需以法人身份、实名认证二级及以上登录。</p>
  <p><a class="btn" href="{{ url_for('sso.login', next='/company') }}">法人登录</a></p>
{% endif %}
"""

COMPANY = """
<h2>当前办事单位</h2>
<table id="corp">
 <tr><th>单位名称</th><td id="corp-name">{{ corp.name or "—" }}</td></tr>
 <tr><th>统一社会信用代码</th><td id="corp-uscc">{{ corp.uscc or "—" }}</td></tr>
 <tr><th>您的身份</th><td id="corp-role">{{ roles.get(corp.role, corp.role) }}{% if corp.agent %}（代理办理）{% endif %}</td></tr>
 <tr><th>经办人</th><td id="name">{{ user.name }}</td></tr>
 <tr><th>实名认证等级</th><td id="level">{{ level }}</td></tr>
</table>
<p><a class="btn light" id="switch" href="{{ switch_url }}">切换办事单位</a>
   <a class="btn light" href="{{ url_for('sso.login', next='/company') }}">切换后刷新单位信息</a></p>
<h2>登记与信用</h2>
{% if api.error %}
  <p class="error" id="api-error">{{ api.error }}</p>
{% else %}
  <table id="filings">
   <tr><th>登记状态</th><td>{{ api.data.registration }}</td></tr>
   <tr><th>信用信息（数据共享交换平台）</th><td id="credit">{{ api.data.credit.level }}</td></tr>
   <tr><th>接口确认的调用方</th><td id="api-caller">{{ api.data.caller }}</td></tr>
  </table>
{% endif %}
<p>""" + LOGOUT_BUTTON + """</p>
"""

NOT_LEGAL = """
<h2>仅限法人用户</h2>
<p class="error" id="not-legal">本系统仅面向企业等法人用户办理业务，您当前以个人身份登录。</p>
<p>请退出后选择“法人登录”。 """ + LOGOUT_BUTTON + """</p>
"""


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """The portal; ``config`` overrides the environment (see :mod:`..common`)."""
    cfg = settings(config, DEFAULTS)
    app, sso = portal_app(__name__, cfg, SCOPE)
    api = str(cfg["BUSINESS_API_URL"]).rstrip("/")
    switch_url = str(cfg["SSO_ISSUER"]).rstrip("/") + "/federation/provincial/switch-corp"
    http = requests.Session()

    def legal_person_required(view):
        # The gateway registration already admits only legal persons; checking again here keeps
        # the portal safe if the registration is ever widened.
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if current_sso_user.get("cn_user_type") != "legal" or not current_sso_user.get("corp"):
                return render(SITE, "仅限法人", NOT_LEGAL), 403
            return view(*args, **kwargs)

        return wrapper

    @app.get("/")
    def index():
        return render(SITE, "首页", INDEX, user=current_sso_user)

    @app.get("/company")
    @sso.require_acr(REQUIRED_ACR)
    @legal_person_required
    def company():
        token = sso.get_access_token()
        if token is None:
            return redirect(url_for("sso.login", next="/company", acr_values=REQUIRED_ACR))
        result = call_api(http, f"{api}/api/qykb/company", token, timeout=10)
        return render(SITE, "我的企业", COMPANY, user=current_sso_user, corp=current_sso_user["corp"],
                      roles=ROLES, level=level(current_sso_user.get("acr")), switch_url=switch_url, api=result)

    @app.get("/healthz")
    def healthz():
        return {"status": "ok"}

    return app
