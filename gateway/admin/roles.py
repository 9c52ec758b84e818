"""The three admin roles (三员) and what each may do — checked on the server for every action."""

from __future__ import annotations

from dataclasses import dataclass

from .problems import Forbidden

SYSTEM, SECURITY, AUDIT = "system", "security", "audit"
ROLES = (SYSTEM, SECURITY, AUDIT)
SCOPE_ROLE = {"admin:system": SYSTEM, "admin:security": SECURITY, "admin:audit": AUDIT}
ADMIN_SCOPES = tuple(SCOPE_ROLE)

# The audit admin reads, exports and checks the audit log and nothing else; the system admin
# never sees people (users, identities, login history); the security admin never touches
# relying parties or keys.
PERMISSIONS: dict[str, frozenset[str]] = {
    "dashboard.read": frozenset(ROLES),
    "rp.read": frozenset({SYSTEM}),
    "rp.write": frozenset({SYSTEM}),
    "request.review": frozenset({SYSTEM}),
    "key.read": frozenset({SYSTEM}),
    "key.rotate": frozenset({SYSTEM}),
    "user.read": frozenset({SECURITY}),
    "user.write": frozenset({SECURITY}),
    "audit.read": frozenset({AUDIT}),
}


@dataclass(frozen=True)
class Actor:
    """Who performs an admin action: a console admin or an API client, with exactly one role."""

    id: str  # user id or client_id
    role: str
    label: str  # shown in the audit log: "admin:<username>" or "api:<client_id>"
    fresh: bool = False  # re-authenticated within the window (console) / token issued within it (API)
    ip: str | None = None

    def can(self, permission: str) -> bool:
        return self.role in PERMISSIONS[permission]


def admin_roles(account_roles, role_map: dict[str, str]) -> set[str]:
    """Admin roles an account holds through its local roles or directory groups."""
    return {role_map[r] for r in account_roles or () if role_map.get(r) in ROLES}


def require(svc, actor: Actor, permission: str, **details) -> None:
    """Raise Forbidden (and audit the refusal) unless the actor's role allows ``permission``."""
    if not actor.can(permission):
        svc.audit.record("admin.denied", result="failure", actor=actor.label, ip=actor.ip, request_id=_request_id(),
                         role=actor.role, permission=permission, **details)
        raise Forbidden(permission)


def audit(svc, actor: Actor, event: str, result: str = "success", **fields) -> None:
    """Every admin action goes through here: who (and in which role), what, from where."""
    svc.audit.record(f"admin.{event}", result=result, actor=actor.label, ip=actor.ip, request_id=_request_id(),
                     role=actor.role, **fields)


def _request_id() -> str | None:
    from flask import g, has_request_context

    return g.get("request_id") if has_request_context() else None
