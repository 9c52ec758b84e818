"""People (security admin): search, identities, lock/unlock, end sessions, login history.

Only masked personal numbers are ever read here: ``FederatedIdentity.id_number_masked`` and the
display name. The encrypted upstream claims (full ID number, mobile) are never decrypted.
"""

from __future__ import annotations

from sqlalchemy import or_, select

from ..account.models import FederatedIdentity, User
from ..audit.models import AuditEvent
from .paging import Page, paginate
from .problems import Invalid, NotFound
from .roles import Actor, audit, require


def search(svc, actor: Actor, q: str = "", page: int = 1, per_page: int = 50) -> Page:
    require(svc, actor, "user.read")
    audit(svc, actor, "user_search", query=(q or "")[:64])  # reading personal data is audited too
    stmt = select(User).order_by(User.created_at.desc(), User.id)
    q = (q or "").strip()[:64]
    if q:
        like = f"%{q}%"
        masked = select(FederatedIdentity.user_id).where(or_(FederatedIdentity.id_number_masked == q,
                                                             FederatedIdentity.id_number_masked.like(like),
                                                             FederatedIdentity.display_name.like(like)))
        stmt = stmt.where(or_(User.username.like(like), User.name.like(like), User.id == q, User.id.in_(masked)))
    with svc.db.session() as s:
        return paginate(s, stmt, page, per_page)


def _user(s, user_id: str) -> User:
    user = s.get(User, user_id) if isinstance(user_id, str) and len(user_id) <= 64 else None
    if user is None:
        raise NotFound(f"no user {user_id!r}")
    return user


def get_user(svc, actor: Actor, user_id: str) -> dict:
    require(svc, actor, "user.read")
    audit(svc, actor, "user_view", user_id=user_id if isinstance(user_id, str) else None)
    with svc.db.session() as s:
        user = _user(s, user_id)
        identities = s.scalars(select(FederatedIdentity).where(FederatedIdentity.user_id == user_id)).all()
        out = user_dict(user)
        out["identities"] = [{"id": fi.id, "connector": fi.connector, "display_name": fi.display_name,
                              "id_number_masked": fi.id_number_masked, "acr": fi.acr, "created_at": fi.created_at,
                              "updated_at": fi.updated_at} for fi in identities]
    out["locked_out"] = any(svc.lockout.is_locked(k) for k in _lockout_keys(svc, user, identities))
    out["mfa_enrolled"] = _mfa(svc).enrolled(user_id) if out["admin_roles"] else False
    return out


def user_dict(user: User) -> dict:
    from flask import current_app

    role_map = current_app.extensions["gateway"].settings.admin.role_map
    return {"id": user.id, "kind": user.kind, "username": user.username, "name": user.name,
            "roles": list(user.roles or []), "admin_roles": sorted({role_map[r] for r in user.roles or []
                                                                    if r in role_map}),
            "disabled": bool(user.disabled), "locked_until": user.locked_until, "created_at": user.created_at,
            "last_login_at": user.last_login_at}


def _mfa(svc):
    from flask import current_app

    return current_app.extensions["gateway_admin"].mfa


def _lockout_keys(svc, user: User, identities) -> list[str]:
    keys = [f"local:{user.username}"] if user.username else []
    for fi in identities:
        if fi.connector.startswith("ldap:"):
            # Only the directory login name is taken from the encrypted claims; nothing is shown.
            login = svc.identities.claims(user.id, fi.id).get("preferred_username")
            if login:
                keys.append(f"{fi.connector}:{login}")
    return keys


def lock(svc, actor: Actor, user_id: str, reason: str = "") -> int:
    """Disable the account and end every session (back-channel logout reaches each portal)."""
    require(svc, actor, "user.write", user_id=user_id)
    if user_id == actor.id:
        raise Invalid("an admin cannot lock their own account")
    with svc.db.session() as s:
        user = _user(s, user_id)
        user.disabled = True
        user.locked_until = None
    ended = svc.end_user_sessions(user_id, reason="admin_lock", actor=actor.label)
    svc.refresh_tokens.revoke_for_user(user_id)
    audit(svc, actor, "user_lock", user_id=user_id, sessions_ended=ended, reason=(reason or "")[:500])
    return ended


def unlock(svc, actor: Actor, user_id: str) -> None:
    """Re-enable the account and clear failed-login lockouts."""
    require(svc, actor, "user.write", user_id=user_id)
    with svc.db.session() as s:
        user = _user(s, user_id)
        user.disabled = False
        user.locked_until = None
        identities = s.scalars(select(FederatedIdentity).where(FederatedIdentity.user_id == user_id)).all()
        keys = _lockout_keys(svc, user, identities)
    for key in keys:
        svc.lockout.unlock(key)
    audit(svc, actor, "user_unlock", user_id=user_id)


def end_sessions(svc, actor: Actor, user_id: str) -> int:
    require(svc, actor, "user.write", user_id=user_id)
    with svc.db.session() as s:
        _user(s, user_id)
    ended = svc.end_user_sessions(user_id, reason="admin", actor=actor.label)
    audit(svc, actor, "user_end_sessions", user_id=user_id, sessions_ended=ended)
    return ended


def reset_mfa(svc, actor: Actor, user_id: str) -> bool:
    require(svc, actor, "user.write", user_id=user_id)
    if user_id == actor.id:
        raise Invalid("an admin cannot reset their own second factor")
    done = _mfa(svc).reset(user_id)
    audit(svc, actor, "user_reset_mfa", user_id=user_id, removed=done)
    return done


def sessions(svc, actor: Actor, user_id: str) -> list[dict]:
    require(svc, actor, "user.read")
    return [{"sid": r["principal"]["sid"], "connector": r["principal"].get("connector"),
             "created": int(r["created"]), "seen": int(r["seen"]), "ip": (r.get("device") or {}).get("ip"),
             "portals": sorted(r["principal"].get("rps") or {})} for r in svc.sso.for_user(user_id)]


def login_history(svc, actor: Actor, user_id: str, page: int = 1, per_page: int = 50) -> Page:
    require(svc, actor, "user.read")
    stmt = (select(AuditEvent).where(AuditEvent.user_id == user_id,
                                     or_(AuditEvent.event.like("login.%"), AuditEvent.event == "session.end"))
            .order_by(AuditEvent.id.desc()))
    with svc.db.session() as s:
        return paginate(s, stmt, page, per_page)
