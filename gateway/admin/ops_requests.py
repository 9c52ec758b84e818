"""Registration requests: staff developers ask, a system admin approves or rejects.

Nothing reaches production without approval: the relying party is created only on approval, and
its secret is kept (encrypted) for the requester alone, who can read it exactly once.
"""

from __future__ import annotations

from sqlalchemy import select

from ..registry.validation import RegistrationError
from .models import RegistrationRequest
from .paging import Page, paginate
from .problems import Conflict, Invalid, NotFound
from .roles import Actor, audit, require
from .rp_input import clean

STATUSES = ("pending", "approved", "rejected")


def _context(request_id: int) -> str:
    return f"registration-request:{request_id}"


def submit(svc, requester_id: str, requester_name: str, data: dict) -> RegistrationRequest:
    values, errors = clean(data)
    values.pop("first_party", None)  # skipping consent is the admin's decision, not the requester's
    if errors:
        raise Invalid("invalid request", errors)
    try:  # the same rules as registration, so an admin is not asked to approve something invalid
        from ..registry.validation import validate_registration

        validate_registration(
            name=values["name"], redirect_uris=values.get("redirect_uris", []),
            post_logout_redirect_uris=values.get("post_logout_redirect_uris", []),
            backchannel_logout_uri=values.get("backchannel_logout_uri"),
            frontchannel_logout_uri=values.get("frontchannel_logout_uri"),
            grant_types=values.get("grant_types") or ["authorization_code", "refresh_token"],
            scope=values.get("scope") or "openid profile",
            token_endpoint_auth_method=values.get("token_endpoint_auth_method") or "client_secret_basic",
            subject_type=values.get("subject_type") or "pairwise",
            id_token_signed_response_alg=values.get("id_token_signed_response_alg") or "RS256",
            allowed_user_types=values.get("allowed_user_types") or ["natural", "legal", "staff", "local"],
            min_acr_level=values.get("min_acr_level", 0))
    except RegistrationError as exc:
        raise Invalid("invalid request", exc.errors) from None
    with svc.db.session() as s:
        req = RegistrationRequest(requester_id=requester_id, requester_name=requester_name[:200],
                                  name=values["name"], department=values.get("department", ""), payload=values,
                                  status="pending", reason="", created_at=int(svc.clock()))
        s.add(req)
    svc.audit.record("registration.submit", actor=requester_id, user_id=requester_id, request=req.id,
                     name=req.name)
    return req


def mine(svc, requester_id: str) -> list[RegistrationRequest]:
    with svc.db.session() as s:
        return list(s.scalars(select(RegistrationRequest).where(RegistrationRequest.requester_id == requester_id)
                              .order_by(RegistrationRequest.id.desc())))


def list_requests(svc, actor: Actor, status: str = "", page: int = 1, per_page: int = 50) -> Page:
    require(svc, actor, "request.review")
    if status and status not in STATUSES:
        raise Invalid(f"status: one of {', '.join(STATUSES)}")
    stmt = select(RegistrationRequest).order_by(RegistrationRequest.id.desc())
    if status:
        stmt = stmt.where(RegistrationRequest.status == status)
    with svc.db.session() as s:
        return paginate(s, stmt, page, per_page)


def get_request(svc, actor: Actor, request_id: int) -> RegistrationRequest:
    require(svc, actor, "request.review")
    with svc.db.session() as s:
        req = s.get(RegistrationRequest, request_id)
    if req is None:
        raise NotFound(f"no registration request {request_id}")
    return req


def decide(svc, actor: Actor, request_id: int, approve: bool, reason: str = "") -> RegistrationRequest:
    require(svc, actor, "request.review", request=request_id)
    reason = (reason if isinstance(reason, str) else "").strip()[:1000]
    if not approve and not reason:
        raise Invalid("a rejection needs a reason", ["reason: required"])
    with svc.db.session() as s:
        req = s.get(RegistrationRequest, request_id)
        if req is None:
            raise NotFound(f"no registration request {request_id}")
        if req.status != "pending":
            raise Conflict(f"request {request_id} is already {req.status}")
        if approve:
            try:
                rp, secret = svc.clients.create(**req.payload)
            except RegistrationError as exc:
                raise Invalid("the request no longer validates", exc.errors) from None
            req.client_id = rp.client_id
            req.secret_enc = svc.cipher.encrypt(secret, context=_context(req.id)) if secret else None
        req.status = "approved" if approve else "rejected"
        req.reason, req.decided_by, req.decided_at = reason, actor.label, int(svc.clock())
    audit(svc, actor, "registration_approve" if approve else "registration_reject", client_id=req.client_id,
          user_id=req.requester_id, request=request_id, reason=reason)
    return req


def take_credentials(svc, requester_id: str, request_id: int) -> tuple[str, str | None] | None:
    """(client_id, secret) for the requester, once; None if not theirs, not approved or already taken."""
    with svc.db.session() as s:
        req = s.get(RegistrationRequest, request_id)
        if req is None or req.requester_id != requester_id or req.status != "approved" or not req.client_id:
            return None
        if req.secret_enc is None and req.payload.get("token_endpoint_auth_method") not in ("none", "private_key_jwt"):
            return None  # already shown
        secret = svc.cipher.decrypt(req.secret_enc, context=_context(req.id)).decode() if req.secret_enc else None
        req.secret_enc = None
        client_id = req.client_id
    svc.audit.record("registration.credentials_taken", actor=requester_id, user_id=requester_id,
                     client_id=client_id)
    return client_id, secret


def request_dict(req: RegistrationRequest) -> dict:
    return {"id": req.id, "requester_id": req.requester_id, "requester_name": req.requester_name, "name": req.name,
            "department": req.department, "payload": req.payload, "status": req.status, "reason": req.reason,
            "decided_by": req.decided_by, "decided_at": req.decided_at, "client_id": req.client_id,
            "created_at": req.created_at}
