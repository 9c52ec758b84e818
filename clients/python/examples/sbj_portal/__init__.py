"""市人力资源和社会保障局 · 社会保险网上经办 — a citizens' portal on the SDK (port 5002).

Shows the signed-in citizen's masked data from the id_token, asks the business API for the
citizen's social-insurance record with the user's access token, and prints an insurance
certificate only after a level-2 login (step-up).
"""

from __future__ import annotations

from typing import Any

import requests
from flask import Flask, redirect, url_for

from sso_client.flask import current_sso_user

from ..common import DEFAULT_ISSUER, LOA, LOGOUT_BUTTON, call_api, level, portal_app, render, settings

DEFAULTS = {
    "SSO_ISSUER": DEFAULT_ISSUER,
    "SSO_CLIENT_ID": "wf-sbj",
    "SSO_CLIENT_SECRET": None,
    "PORTAL_BASE_URL": "http://127.0.0.1:5002",
    "SESSION_REDIS_URL": None,
    "PORTAL_SECRET_KEY": None,
    "BUSINESS_API_URL": "http://127.0.0.1:5004",
    "SSO_JWKS_MIN_REFETCH_INTERVAL": None,
}
SCOPE = "openid profile cn_id phone"
SITE = {"site": "社会保险网上经办", "department": "潍坊市人力资源和社会保障局", "color": "#1f5fa8",
        "nav": [("/", "首页"), ("/my", "我的社保"), ("/cert", "参保证明")]}

INDEX = """
{% if user %}
  <p>{{ user.name or "您好" }}，欢迎使用社会保险网上经办。</p>
  <p><a class="btn" href="/my">查看我的社保</a> """ + LOGOUT_BUTTON + """</p>
{% else %}
  <p>本系统已接入潍坊市统一身份认证网关，使用“爱山东”省统一身份认证账号登录后办理社保业务。</p>
  <p><a class="btn" href="{{ url_for('sso.login', next='/my') }}">统一身份认证登录</a></p>
{% endif %}
"""

MY = """
<h2>个人信息</h2>
<table id="person">
 <tr><th>姓名</th><td id="name">{{ user.name or "—" }}</td></tr>
 <tr><th>身份证号</th><td id="cn_id">{{ user.cn_id_number_masked or "—" }}</td></tr>
 <tr><th>手机号码</th><td id="phone">{{ user.phone_number_masked or "—" }}</td></tr>
 <tr><th>实名认证等级</th><td id="level">{{ level if level is not none else user.acr }}</td></tr>
</table>
<p class="note">身份证号、手机号码由网关脱敏后提供；本系统不保存完整号码。</p>
<h2>参保信息</h2>
{% if api.error %}
  <p class="error" id="api-error">{{ api.error }}</p>
{% else %}
  <table id="insurance">
   <tr><th>参保状态</th><td>{{ api.data.status }}</td></tr>
   {% for item in api.data.schemes %}<tr><th>{{ item.name }}</th><td>{{ item.months }} 个月</td></tr>{% endfor %}
   <tr><th>接口确认的调用方</th><td id="api-caller">{{ api.data.caller }}</td></tr>
  </table>
{% endif %}
<p><a class="btn" href="/cert">打印参保证明（需二级及以上实名认证）</a> """ + LOGOUT_BUTTON + """</p>
"""

CERT = """
<h2>参保证明</h2>
<p id="cert">兹证明 <b>{{ user.name }}</b>（身份证号 {{ user.cn_id_number_masked }}）在我市参加社会保险。</p>
<p class="note">本页要求实名认证等级不低于二级（当前 {{ level }} 级）；等级不足时已自动发起提升认证。</p>
"""


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """The portal; ``config`` overrides the environment (see :mod:`..common`)."""
    cfg = settings(config, DEFAULTS)
    app, sso = portal_app(__name__, cfg, SCOPE)
    api = str(cfg["BUSINESS_API_URL"]).rstrip("/")
    http = requests.Session()

    @app.get("/")
    def index():
        return render(SITE, "首页", INDEX, user=current_sso_user)

    @app.get("/my")
    @sso.login_required
    def my():
        token = sso.get_access_token()
        if token is None:  # the gateway refused the refresh: the session ended elsewhere
            return redirect(url_for("sso.login", next="/my"))
        result = call_api(http, f"{api}/api/sbj/insurance", token, timeout=5)
        return render(SITE, "我的社保", MY, user=current_sso_user, level=level(current_sso_user.get("acr")),
                      api=result)

    @app.get("/cert")
    @sso.require_acr(LOA + "2")
    def cert():
        return render(SITE, "参保证明", CERT, user=current_sso_user, level=level(current_sso_user.get("acr")))

    @app.get("/healthz")
    def healthz():
        return {"status": "ok"}

    return app
