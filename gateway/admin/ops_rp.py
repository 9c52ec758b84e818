"""Relying-party administration (system admin): list, create, edit, enable, rotate, inspect."""

from __future__ import annotations

import json

from sqlalchemy import or_, select

from ..logout.models import LogoutDelivery
from ..registry.models import Consent, RelyingParty
from ..registry.validation import RegistrationError, validate_registration
from ..sessions.sso import DEADLINES
from .paging import Page, paginate
from .problems import Invalid, NotFound, PreconditionFailed, ReauthRequired
from .roles import Actor, audit, require
from .rp_input import clean, rp_dict


def list_rps(svc, actor: Actor, q: str = "", department: str = "", page: int = 1, per_page: int = 50) -> Page:
    require(svc, actor, "rp.read")
    stmt = select(RelyingParty).order_by(RelyingParty.department, RelyingParty.name, RelyingParty.id)
    if q:
        like = f"%{q[:100]}%"
        stmt = stmt.where(or_(RelyingParty.name.like(like), RelyingParty.client_id.like(like)))
    if department:
        stmt = stmt.where(RelyingParty.department == department[:200])
    with svc.db.session() as s:
        return paginate(s, stmt, page, per_page)


def departments(svc) -> list[str]:
    with svc.db.session() as s:
        return [d for d in s.scalars(select(RelyingParty.department).distinct().order_by(RelyingParty.department)) if d]


def get_rp(svc, actor: Actor, client_id: str) -> RelyingParty:
    require(svc, actor, "rp.read")
    rp = svc.clients.find(client_id)
    if rp is None:
        raise NotFound(f"no relying party {client_id!r}")
    return rp


def create_rp(svc, actor: Actor, data: dict) -> tuple[RelyingParty, str | None]:
    require(svc, actor, "rp.write")
    values, errors = clean(data)
    if errors:
        raise Invalid("invalid relying party", errors)
    try:
        rp, secret = svc.clients.create(**values)
    except RegistrationError as exc:
        raise Invalid("invalid relying party", exc.errors) from None
    audit(svc, actor, "rp_create", client_id=rp.client_id, name=rp.name)
    return rp, secret


def update_rp(svc, actor: Actor, client_id: str, data: dict, expected_version: int) -> RelyingParty:
    """Edit with optimistic concurrency: ``expected_version`` must be the version the editor saw."""
    require(svc, actor, "rp.write", client_id=client_id)
    values, errors = clean(data, partial=True)
    if "name" in values and not values["name"]:
        errors.append("name: required")
    if errors:
        raise Invalid("invalid relying party", errors)
    with svc.db.session() as s:
        rp = s.scalar(select(RelyingParty).where(RelyingParty.client_id == client_id).with_for_update())
        if rp is None:
            raise NotFound(f"no relying party {client_id!r}")
        if (rp.version or 1) != expected_version:
            raise PreconditionFailed(f"version is {rp.version}, not {expected_version}: reload and edit again")
        merged = {**rp_dict(rp), **values}
        try:
            validate_registration(
                name=merged["name"], redirect_uris=merged["redirect_uris"],
                post_logout_redirect_uris=merged["post_logout_redirect_uris"],
                backchannel_logout_uri=merged["backchannel_logout_uri"],
                frontchannel_logout_uri=merged["frontchannel_logout_uri"], grant_types=merged["grant_types"],
                scope=merged["scope"], token_endpoint_auth_method=merged["token_endpoint_auth_method"],
                subject_type=merged["subject_type"], id_token_signed_response_alg=merged["id_token_signed_response_alg"],
                allowed_user_types=merged["allowed_user_types"], min_acr_level=merged["min_acr_level"], jwks=rp.jwks)
        except RegistrationError as exc:
            raise Invalid("invalid relying party", exc.errors) from None
        if (merged["token_endpoint_auth_method"] in ("none", "private_key_jwt")) != (not rp.secret_hash):
            raise Invalid("invalid relying party", ["token_endpoint_auth_method: cannot switch between secret "
                                                    "and no-secret methods; register a new client"])
        changed = sorted(k for k, v in values.items() if rp_dict(rp).get(k) != v)
        for key in changed:
            setattr(rp, key, values[key])
        if changed:
            rp.version = (rp.version or 1) + 1
    svc.clients.invalidate(client_id)
    audit(svc, actor, "rp_update", client_id=client_id, fields=changed)
    return svc.clients.find(client_id)


def set_enabled(svc, actor: Actor, client_id: str, enabled: bool) -> RelyingParty:
    require(svc, actor, "rp.write", client_id=client_id)
    try:
        svc.clients.set_enabled(client_id, enabled)
    except LookupError:
        raise NotFound(f"no relying party {client_id!r}") from None
    audit(svc, actor, "rp_enable" if enabled else "rp_disable", client_id=client_id)
    return svc.clients.find(client_id)


def rotate_secret(svc, actor: Actor, client_id: str) -> str:
    require(svc, actor, "rp.write", client_id=client_id)
    if not actor.fresh:
        audit(svc, actor, "rp_rotate_secret", result="failure", client_id=client_id, reason="reauth required")
        raise ReauthRequired("rotating a secret needs a fresh authentication")
    try:
        secret = svc.clients.rotate_secret(client_id)
    except LookupError:
        raise NotFound(f"no relying party {client_id!r}") from None
    except RegistrationError as exc:
        raise Invalid("this client has no secret", exc.errors) from None
    audit(svc, actor, "rp_rotate_secret", client_id=client_id)
    return secret


def rp_sessions(svc, actor: Actor, client_id: str, limit: int = 500) -> list[dict]:
    """Live SSO sessions signed in to this portal (sid, since, last seen; no personal data)."""
    get_rp(svc, actor, client_id)
    now = svc.clock()
    out = []
    for raw in svc.redis.zrangebyscore(DEADLINES, now, "+inf", start=0, num=5000):
        record = svc.sso.record(raw.decode())
        if record and client_id in (record["principal"].get("rps") or {}):
            p = record["principal"]
            out.append({"sid": p["sid"], "user_id": p["user_id"], "connector": p.get("connector"),
                        "created": int(record["created"]), "seen": int(record["seen"])})
            if len(out) >= limit:
                break
    return sorted(out, key=lambda r: -r["seen"])


def rp_consents(svc, actor: Actor, client_id: str, page: int = 1, per_page: int = 50) -> Page:
    get_rp(svc, actor, client_id)
    stmt = select(Consent).where(Consent.client_id == client_id).order_by(Consent.granted_at.desc(), Consent.id)
    with svc.db.session() as s:
        return paginate(s, stmt, page, per_page)


def consent_dict(c: Consent) -> dict:
    return {"user_id": c.user_id, "scope": c.scope, "claims": list(c.claims or []), "granted_at": c.granted_at,
            "expires_at": c.expires_at, "withdrawn_at": c.withdrawn_at}


def rp_deliveries(svc, actor: Actor, client_id: str, page: int = 1, per_page: int = 50) -> Page:
    get_rp(svc, actor, client_id)
    stmt = (select(LogoutDelivery).where(LogoutDelivery.client_id == client_id)
            .order_by(LogoutDelivery.created_at.desc(), LogoutDelivery.id))
    with svc.db.session() as s:
        return paginate(s, stmt, page, per_page)


def delivery_dict(d: LogoutDelivery) -> dict:
    return {"id": d.id, "sid": d.sid, "reason": d.reason, "uri": d.uri, "status": d.status, "attempts": d.attempts,
            "last_status": d.last_status, "last_error": d.last_error, "created_at": d.created_at,
            "delivered_at": d.delivered_at}


def etag(rp) -> str:
    return f'"{rp.client_id}.v{rp.version or 1}"'


def version_from_etag(value: str | None) -> int | None:
    value = (value or "").strip()
    if value.startswith("W/"):
        value = value[2:]
    try:
        return int(json.loads(value).rsplit(".v", 1)[1])
    except (ValueError, IndexError, AttributeError, TypeError):
        return None
