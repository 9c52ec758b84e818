"""RP-Initiated Logout 1.0 at ``/logout``.

* With a valid ``id_token_hint`` for the current session the user is logged out at once.
* Without one (or for another session) the user is asked to confirm with a CSRF-protected form,
  so a third-party page cannot log people out (logout CSRF).
* ``post_logout_redirect_uri`` is followed only when it is registered for the client, by exact
  string match; ``state`` is passed back.
"""

from __future__ import annotations

from authlib.common.urls import add_params_to_uri
from urllib.parse import urlsplit

from flask import current_app, make_response, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from joserfc import jwt
from joserfc.errors import JoseError

from ..security_headers import CSP

MAX_PARAM = 8192


def _svc():
    return current_app.extensions["gateway"]


def _parse_hint(hint: str) -> dict | None:
    svc = _svc()
    if not hint or len(hint) > MAX_PARAM:
        return None
    try:
        token = jwt.decode(hint, svc.keys.public_keys(), algorithms=["RS256", "ES256"])
    except (JoseError, ValueError):
        return None
    claims = token.claims
    return claims if claims.get("iss") == svc.settings.issuer else None  # exp deliberately not checked


def _resolve(params: dict):
    """(client, redirect target or None, hint claims or None, problem or None)."""
    svc = _svc()
    hint = _parse_hint(params.get("id_token_hint", "")) if params.get("id_token_hint") else None
    if params.get("id_token_hint") and hint is None:
        return None, None, None, _("id_token_hint 无效")
    client_id = params.get("client_id")
    if hint is not None:
        aud = hint.get("aud")
        auds = aud if isinstance(aud, list) else [aud]
        if client_id and client_id not in auds:
            return None, None, None, _("client_id 与 id_token_hint 不一致")
        client_id = client_id or (auds[0] if auds else None)
    client = svc.clients.get(client_id) if client_id else None
    target = params.get("post_logout_redirect_uri")
    if target:
        if client is None or target not in client.post_logout_redirect_uris:
            svc.audit.record("logout.redirect_refused", result="failure", client_id=client_id)
            target = None
        elif params.get("state"):
            target = add_params_to_uri(target, [("state", params["state"][:2048])])
    return client, target, hint, None


def _finish(target: str | None, client):
    principal = session.get("principal")
    frontchannel = []
    if principal:
        svc = _svc()
        frontchannel = svc.frontchannel_uris(principal)
        svc.end_session(principal["sid"], reason="rp_logout", actor=principal["user_id"])
        session.destroy()
        after_upstream = svc.upstream_logout_url(principal, target or url_for("account.logged_out", _external=True))
        if after_upstream:
            target = after_upstream
    if frontchannel:
        response = make_response(render_template("account/frontchannel_logout.html", uris=frontchannel,
                                                 next=target or url_for("account.logged_out")))
        origins = sorted({"{0.scheme}://{0.netloc}".format(urlsplit(u)) for u in frontchannel})
        response.headers["Content-Security-Policy"] = CSP + "; frame-src " + " ".join(origins)
        return response
    if target:
        response = redirect(target)
        response.headers["Cache-Control"] = "no-store"
        return response
    return redirect(url_for("account.logged_out"))


def end_session():
    params = {k: v for k, v in request.values.items() if isinstance(v, str) and len(v) <= MAX_PARAM}
    client, target, hint, problem = _resolve(params)
    if problem:
        return render_template("error.html", title=_("无法退出登录"), detail=problem), 400
    principal = session.get("principal")
    if principal is None:
        return _finish(target, client)
    if hint is not None and hint.get("sid") == principal.get("sid"):
        return _finish(target, client)
    return render_template("account/logout_confirm.html", params=params,
                           client=client, user_name=principal.get("name"))


def confirm():
    if request.form.get("confirm") != "yes":
        return redirect(url_for("account.logged_out", cancelled=1))
    params = {k: request.form[k] for k in ("id_token_hint", "client_id", "post_logout_redirect_uri", "state")
              if request.form.get(k)}
    client, target, _hint, problem = _resolve(params)
    if problem:
        return render_template("error.html", title=_("无法退出登录"), detail=problem), 400
    return _finish(target, client)
