"""What the demo apps share: configuration from the environment, the session store, the page frame.

Every setting can be given in the ``config`` mapping passed to ``create_app`` (tests) or as an
environment variable of the same name (``python -m ...``, ``scripts/demo.py``):

=================================  ===========================================================
``SSO_ISSUER``                     the gateway's issuer, exactly (default ``http://127.0.0.1:5000``)
``SSO_CLIENT_ID`` / ``SSO_CLIENT_SECRET``  the registration (``wf-sbj``, ``wf-qykb``, ``wf-api``)
``PORTAL_BASE_URL``                where the app is reachable; the redirect and logout URIs derive from it
``SESSION_REDIS_URL``              Redis for the SDK session store (single logout across workers);
                                   unset: an in-process store, fine for one development process
``PORTAL_SECRET_KEY``              Flask's cookie signing key (default: random per process start)
``BUSINESS_API_URL``               the business API the portals call (default ``http://127.0.0.1:5004``)
``SSO_JWKS_MIN_REFETCH_INTERVAL``  seconds between JWKS refetches on an unknown ``kid`` (SDK default 60)
=================================  ===========================================================
"""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Mapping
from typing import Any

import requests
from flask import Flask, render_template_string
from markupsafe import Markup

from sso_client import ClientConfig, Discovery, MemorySessionStore, OIDCClient, RedisSessionStore

from sso_client.flask import SSO

DEFAULT_ISSUER = "http://127.0.0.1:5000"
LOA = "urn:sd:tysfrz:loa:"


def settings(config: Mapping[str, Any] | None, defaults: Mapping[str, Any]) -> dict[str, Any]:
    """``defaults`` overridden by the environment, overridden by ``config``."""
    given = dict(config or {})
    out: dict[str, Any] = {}
    for key, default in defaults.items():
        out[key] = given.pop(key, os.environ.get(key, default))
    out.update(given)  # anything else (e.g. TESTING) goes to app.config as is
    return out


def session_store(redis_url: str | None, prefix: str):
    """A Redis-backed SDK session store (needed as soon as there are several workers), or memory."""
    if not redis_url:
        return MemorySessionStore()
    from redis import Redis

    return RedisSessionStore(Redis.from_url(redis_url), prefix=prefix)


def discovery(cfg: Mapping[str, Any]) -> Discovery:
    """The gateway's metadata and keys, with the JWKS refetch guard from the configuration."""
    interval = cfg.get("SSO_JWKS_MIN_REFETCH_INTERVAL")
    kwargs = {} if interval in (None, "") else {"min_refetch_interval": float(interval)}
    return Discovery(cfg["SSO_ISSUER"], **kwargs)


def portal_app(name: str, cfg: dict[str, Any], scope: str) -> tuple[Flask, SSO]:
    """A Flask app with the SDK mounted (``/sso/login``, ``/sso/callback``, ``/sso/logout``,
    ``/sso/backchannel-logout``), configured like the five-minute guide."""
    base = str(cfg["PORTAL_BASE_URL"]).rstrip("/")
    app = Flask(name)
    app.config.update({k: v for k, v in cfg.items() if k.isupper()})
    app.config.update(
        SECRET_KEY=cfg.get("PORTAL_SECRET_KEY") or secrets.token_hex(32),
        # Cookies ignore the port: portals sharing a host name (127.0.0.1 in the demo) need their own name.
        SESSION_COOKIE_NAME="session_" + re.sub(r"[^A-Za-z0-9]", "_", str(cfg["SSO_CLIENT_ID"])),
        SESSION_COOKIE_SECURE=base.startswith("https://"),
        SSO_ISSUER=cfg["SSO_ISSUER"],
        SSO_CLIENT_ID=cfg["SSO_CLIENT_ID"],
        SSO_CLIENT_SECRET=cfg.get("SSO_CLIENT_SECRET") or None,
        SSO_REDIRECT_URI=f"{base}/sso/callback",
        SSO_POST_LOGOUT_REDIRECT_URI=f"{base}/",
        SSO_SCOPE=scope,
        SSO_SESSION_STORE=session_store(cfg.get("SESSION_REDIS_URL"), f"{cfg['SSO_CLIENT_ID']}:"),
    )
    client = cfg.get("SSO_CLIENT")  # a ready OIDCClient (tests, special networks)
    if client is None and cfg.get("SSO_JWKS_MIN_REFETCH_INTERVAL") not in (None, ""):
        client = OIDCClient(ClientConfig(
            issuer=app.config["SSO_ISSUER"], client_id=app.config["SSO_CLIENT_ID"],
            client_secret=app.config["SSO_CLIENT_SECRET"], redirect_uri=app.config["SSO_REDIRECT_URI"],
            scope=scope, post_logout_redirect_uri=app.config["SSO_POST_LOGOUT_REDIRECT_URI"],
            jwks_min_refetch_interval=float(cfg["SSO_JWKS_MIN_REFETCH_INTERVAL"])))
    sso = SSO(app, client=client) if client is not None else SSO(app)
    return app, sso


def level(acr: str | None) -> int | None:
    """The assurance level N of ``urn:sd:tysfrz:loa:N``, or None."""
    if acr and acr.startswith(LOA) and acr[len(LOA):].isdigit():
        return int(acr[len(LOA):])
    return None


LAYOUT = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>{{ title }} · {{ site }}</title>
<style>
 body{font-family:"Noto Sans CJK SC","Microsoft YaHei",sans-serif;margin:0;background:#f4f6f9;color:#222}
 header{background:{{ color }};color:#fff;padding:14px 28px} header h1{margin:0;font-size:20px}
 header small{opacity:.85} main{max-width:860px;margin:24px auto;background:#fff;padding:24px 32px;
 border-radius:6px;box-shadow:0 1px 3px #0002} table{border-collapse:collapse;width:100%}
 th,td{border-bottom:1px solid #e3e6ea;padding:8px;text-align:left} th{width:30%;color:#555;font-weight:normal}
 .btn{display:inline-block;background:{{ color }};color:#fff;border:0;padding:8px 18px;border-radius:4px;
 text-decoration:none;cursor:pointer;font-size:15px} .btn.light{background:#e8ebef;color:#222}
 .note{color:#666;font-size:13px} .error{color:#b00020} nav{margin-top:6px} nav a{color:#fff;margin-right:16px}
 form.inline{display:inline}
</style></head><body>
<header><small>{{ department }}</small><h1>{{ site }}</h1>
<nav>{% for href, label in nav %}<a href="{{ href }}">{{ label }}</a>{% endfor %}</nav></header>
<main>{{ body }}</main></body></html>"""


def render(site: dict[str, Any], title: str, template: str, **context: Any) -> str:
    """Render ``template`` (autoescaped) inside the page frame of ``site``."""
    body = render_template_string(template, **context)
    return render_template_string(LAYOUT, title=title, body=Markup(body), **site)


LOGOUT_BUTTON = """<form class="inline" method="post" action="{{ url_for('sso.logout') }}">
<button class="btn light" type="submit">退出登录</button></form>"""


def call_api(http, url: str, token: str, timeout: float = 10) -> dict[str, Any]:
    """Call the business API with the user's access token; {"data": ...} or {"error": message}."""
    try:
        r = http.get(url, headers={"Authorization": f"Bearer {token}"}, timeout=timeout)
    except requests.RequestException:
        return {"error": "业务接口暂时无法访问，请稍后再试。"}
    if r.status_code == 200:
        return {"data": r.json()}
    return {"error": f"业务接口拒绝了请求（HTTP {r.status_code}）"}
