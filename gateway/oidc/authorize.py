"""The authorization endpoint: validate, then log in, step up, ask consent, and issue a code.

The client and redirect_uri are validated by authlib before anything else; an unknown client or
an unregistered redirect_uri gets an error page and never a redirect (RFC 6749 §4.1.2.1).
Pending requests are parked in a login transaction in Redis (``gw:tx:<id>``) while the user logs
in or consents, then resumed at ``/authorize/continue?tx=<id>``.
"""

from __future__ import annotations

import secrets
import time

from authlib.common.urls import add_params_to_uri
from authlib.oauth2 import OAuth2Error
from authlib.oauth2.rfc6749.errors import AccessDeniedError, InvalidRequestError
from authlib.oidc.core.errors import ConsentRequiredError, LoginRequiredError
from flask import current_app, redirect, render_template, request, session, url_for
from flask_babel import gettext as _

from ..registry.policy import needs_consent
from .acr import level_of, requested_level
from .principal import GrantUser
from .server import stored_request

MAX_PARAM = 4096


def _svc():
    return current_app.extensions["gateway"]


def _server():
    return current_app.extensions["gateway_oauth"]


def current_grant_user() -> GrantUser | None:
    principal = session.get("principal")
    if not principal:
        return None
    return GrantUser(user_id=principal["user_id"], sid=principal["sid"], auth_time=principal["auth_time"],
                     acr=principal.get("acr"), amr=tuple(principal.get("amr") or ()),
                     user_type=principal.get("user_type", "local"), identity_id=principal.get("identity_id"))


def error_page(title: str, detail: str, status: int = 400):
    return render_template("error.html", title=title, detail=detail), status


def _with_iss(response):
    """RFC 9207: every authorization response names the issuer (mix-up defence)."""
    location = response.headers.get("Location")
    if location and response.status_code in (301, 302, 303):
        response.headers["Location"] = add_params_to_uri(location, [("iss", _svc().settings.issuer)])
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-store"
    return response


def _oauth_error(error: OAuth2Error, req):
    if getattr(error, "redirect_uri", None):
        return _with_iss(_server().handle_error_response(req, error))
    return error_page(_("无法完成登录请求"), f"{error.error}: {error.description or ''}".strip(": "))


def authorize():
    """GET or POST /authorize (OIDC Core §3.1.2.1 allows both)."""
    for key, values in request.values.lists():
        if len(values) > 1 or any(len(v) > MAX_PARAM for v in values):
            # Duplicated or oversized parameters: refuse before looking anything up.
            return error_page("invalid_request", f"parameter {key!r} is repeated or too long")
    req = _server().create_oauth2_request(None)
    return process(req, request.values.to_dict(), tx_id=None, tx=None)


def resume():
    tx_id = request.args.get("tx", "")
    tx = _svc().transactions.get(tx_id)
    if not tx:
        return error_page(_("登录已超时"), _("请返回原网站重新登录。"))
    req = stored_request(tx["args"], _svc().settings.issuer + "/authorize")
    return process(req, tx["args"], tx_id=tx_id, tx=tx)


def _park(args: dict, tx_id: str | None, tx: dict | None, **changes) -> str:
    svc = _svc()
    tx = dict(tx or {"args": args, "created": int(time.time())})
    tx.update(changes)
    tx_id = tx_id or secrets.token_urlsafe(24)
    svc.transactions.put(tx_id, tx)
    return tx_id


def process(req, args: dict, tx_id: str | None, tx: dict | None):
    svc = _svc()
    server = _server()
    user = current_grant_user()
    try:
        grant = server.get_consent_grant(request=req, end_user=user)
    except OAuth2Error as error:
        return _oauth_error(error, req)
    except ValueError:
        # authlib refuses to build an error whose description would echo forbidden characters
        # (e.g. a '"' in response_type): the request is malformed either way (found by fuzzing).
        return error_page("invalid_request", "malformed authorization request")
    client = req.client
    redirect_uri = req.payload.redirect_uri
    if not redirect_uri:
        return error_page("invalid_request", "redirect_uri is required")

    def fail(error_cls, description=None):
        err = error_cls(description=description, redirect_uri=redirect_uri) if description else \
            error_cls(redirect_uri=redirect_uri)
        err.state = req.payload.state
        return _oauth_error(err, req)

    prompts = set(args.get("prompt", "").split())
    max_age = args.get("max_age")
    if max_age is not None:
        if not max_age.isdigit() or len(max_age) > 9:
            return fail(InvalidRequestError, "max_age must be a non-negative integer")
        max_age = int(max_age)
    required = max(client.min_acr_level, requested_level(args.get("acr_values")) or 0)
    fresh = bool(tx and tx.get("login_done"))
    now = svc.clock()

    reason = None
    if user is None:
        reason = "no_session"
    elif "login" in prompts and not fresh:
        reason = "prompt_login"
    elif max_age is not None and now - user.auth_time > max_age and not fresh:
        reason = "max_age"
    elif level_of(user.acr) < required:
        reason = "step_up"
    elif not client.allows_user_type(user.user_type):
        reason = "user_type"
    if reason is not None:
        if "none" in prompts:
            return fail(LoginRequiredError)
        if fresh and reason in ("step_up", "user_type"):
            # Logged in just now and still not enough: tell the RP instead of looping.
            return fail(AccessDeniedError, "the authenticated user does not meet the client's requirements")
        tx_id = _park(args, tx_id, tx, client_id=client.client_id, reason=reason, required_level=required,
                      allowed_user_types=list(client.allowed_user_types), login_done=False)
        return redirect(url_for("account.login", tx=tx_id))

    scope = req.scope or ""
    # Only consent-based claims need the person's decision; statutory ones are shown on "my data".
    asks = needs_consent(client.release_policy, scope)
    if asks and (not svc.consents.covers(user.user_id, client, scope)
                 or ("consent" in prompts and not (tx and tx.get("consent_done")))):
        if "none" in prompts:
            return fail(ConsentRequiredError)
        if not (tx and tx.get("consent_done")):
            tx_id = _park(args, tx_id, tx, client_id=client.client_id, scope=scope)
            return redirect(url_for("account.consent", tx=tx_id))

    response = server.create_authorization_response(request=req, grant_user=user, grant=grant)
    if response.status_code in (301, 302, 303) and "code=" in response.headers.get("Location", ""):
        principal = session["principal"]
        principal.setdefault("rps", {})[client.client_id] = int(now)
        session["principal"] = principal
        svc.audit.record("authorize.code", user_id=user.user_id, client_id=client.client_id, acr=user.acr)
    if tx_id:
        svc.transactions.take(tx_id)
    return _with_iss(response)
