"""The OpenAPI 3.1 document of the admin API, served at /admin/api/v1/openapi.json.

Hand-written next to the routes; tests/admin/test_openapi.py proves that every documented
operation exists and every route is documented.
"""

from __future__ import annotations

from .api import PREFIX, bp, ok

_REF = lambda name: {"$ref": f"#/components/schemas/{name}"}  # noqa: E731
_STR, _INT, _BOOL = {"type": "string"}, {"type": "integer"}, {"type": "boolean"}
_STRS = {"type": "array", "items": _STR}
_OBJ = {"type": "object"}

RP_FIELDS = {
    "name": {"type": "string", "maxLength": 200}, "department": _STR,
    "redirect_uris": {**_STRS, "description": "exact strings; https (http only on loopback); no wildcards or fragments"},
    "post_logout_redirect_uris": _STRS, "backchannel_logout_uri": {"type": ["string", "null"]},
    "frontchannel_logout_uri": {"type": ["string", "null"]},
    "grant_types": {"type": "array", "items": {"enum": ["authorization_code", "refresh_token", "client_credentials"]}},
    "scope": {"type": "string", "description": "space-separated; admin:* scopes are granted by the operator only"},
    "token_endpoint_auth_method": {"enum": ["client_secret_basic", "client_secret_post", "private_key_jwt", "none"]},
    "subject_type": {"enum": ["pairwise", "public"]}, "id_token_signed_response_alg": {"enum": ["RS256", "ES256"]},
    "allowed_user_types": {"type": "array", "items": {"enum": ["natural", "legal", "staff", "local"]}},
    "min_acr_level": {"type": "integer", "minimum": 0, "maximum": 3},
    "release_policy": {"type": "object", "description": "claim -> legal basis and purpose shown at consent",
                       "additionalProperties": {"type": "object", "required": ["basis"], "properties": {
                           "basis": {"enum": ["statutory", "consent"]}, "purpose": {"type": "string", "maxLength": 500}}}},
    "first_party": _BOOL,
}
SCHEMAS = {
    "Problem": {"type": "object", "description": "RFC 9457 problem details", "required": ["title", "status"],
                "properties": {"type": _STR, "title": _STR, "status": _INT, "detail": _STR, "errors": _STRS}},
    "RelyingPartyInput": {"type": "object", "additionalProperties": False, "properties": RP_FIELDS},
    "RelyingPartyCreate": {"type": "object", "additionalProperties": False, "required": ["name"],
                           "properties": RP_FIELDS},
    "RelyingParty": {"type": "object", "properties": {
        **RP_FIELDS, "client_id": _STR, "enabled": _BOOL, "version": _INT, "has_secret": _BOOL,
        "secret_rotated_at": {"type": ["integer", "null"]}, "created_at": _INT, "updated_at": _INT}},
    "RegistrationRequest": {"type": "object", "properties": {
        "id": _INT, "requester_id": _STR, "requester_name": _STR, "name": _STR, "department": _STR,
        "payload": _OBJ, "status": {"enum": ["pending", "approved", "rejected"]}, "reason": _STR,
        "decided_by": {"type": ["string", "null"]}, "client_id": {"type": ["string", "null"]}}},
    "User": {"type": "object", "description": "never the full ID number: identities carry the masked one only",
             "properties": {"id": _STR, "kind": _STR, "username": {"type": ["string", "null"]}, "name": _STR,
                            "roles": _STRS, "admin_roles": _STRS, "disabled": _BOOL}},
    "AuditEvent": {"type": "object", "properties": {
        "id": _INT, "ts": _INT, "event": _STR, "result": _STR, "actor": {"type": ["string", "null"]},
        "user_id": {"type": ["string", "null"]}, "client_id": {"type": ["string", "null"]}, "details": _OBJ}},
    "Page": {"type": "object", "required": ["items", "page", "per_page", "total"], "properties": {
        "items": {"type": "array"}, "page": _INT, "per_page": _INT, "total": _INT, "pages": _INT}},
}


def _param(name, where="query", schema=None, required=False, description=""):
    return {"name": name, "in": where, "required": required or where == "path", "schema": schema or _STR,
            **({"description": description} if description else {})}


PAGE = [_param("page", schema={"type": "integer", "minimum": 1}),
        _param("per_page", schema={"type": "integer", "minimum": 1, "maximum": 200})]
CID, RID, UID = _param("client_id", "path"), _param("request_id", "path", _INT), _param("user_id", "path")
AUDIT_FILTERS = [_param(n, description=d) for n, d in (
    ("since", "epoch seconds or YYYY-MM-DD[THH:MM] (UTC)"), ("until", "epoch seconds or YYYY-MM-DD[THH:MM] (UTC)"),
    ("actor", "substring"), ("user_id", ""), ("client_id", ""), ("event", "exact, or a prefix ending in *"),
    ("result", "success | failure"))]


def _json(schema):
    return {"application/json": {"schema": schema}}


def op(summary, role, params=(), request=None, response=None, status="200", extra=None):
    responses = {status: {"description": "OK", **({"content": _json(response)} if response else {})},
                 "401": {"$ref": "#/components/responses/Problem"}, "403": {"$ref": "#/components/responses/Problem"}}
    for code in extra or ():
        responses[code] = {"$ref": "#/components/responses/Problem"}
    out = {"summary": summary, "description": f"Role: {role}.", "parameters": list(params), "responses": responses}
    if request is not None:
        out["requestBody"] = {"required": True, "content": _json(request)}
    return out


PAGE_OF = lambda name: {"allOf": [_REF("Page"), {"properties": {"items": {"type": "array", "items": _REF(name)}}}]}  # noqa: E731
OPTIONAL_REASON = {"type": "object", "properties": {"reason": {"type": "string", "maxLength": 1000}}}

PATHS = {
    "/me": {"get": op("The caller's client id and admin role", "any", response=_OBJ)},
    "/dashboard": {"get": op("Logins per hour by method, failures, active sessions, logout deliveries", "any",
                             response=_OBJ)},
    "/relying-parties": {
        "get": op("List relying parties", "system", [*PAGE, _param("q"), _param("department")], None,
                  PAGE_OF("RelyingParty"), extra=["422"]),
        "post": op("Register a relying party; client_secret is returned only here", "system", (),
                   _REF("RelyingPartyCreate"), _REF("RelyingParty"), "201", ["400", "422"])},
    "/relying-parties/{client_id}": {
        "get": op("One relying party (ETag header)", "system", [CID], response=_REF("RelyingParty"), extra=["404"]),
        "patch": op("Edit a relying party; If-Match (ETag) or a version field is required", "system",
                    [CID, _param("If-Match", "header")], _REF("RelyingPartyInput"), _REF("RelyingParty"),
                    extra=["400", "404", "412", "422", "428"])},
    "/relying-parties/{client_id}/enable": {"post": op("Enable", "system", [CID], response=_REF("RelyingParty"),
                                                      extra=["404"])},
    "/relying-parties/{client_id}/disable": {"post": op("Disable", "system", [CID], response=_REF("RelyingParty"),
                                                       extra=["404"])},
    "/relying-parties/{client_id}/rotate-secret": {"post": op(
        "New client secret (shown once; the old one stops working). Needs a token issued within "
        "admin.reauth_window seconds", "system", [CID], response=_OBJ, extra=["404", "422"])},
    "/relying-parties/{client_id}/sessions": {"get": op("Live SSO sessions signed in to this portal", "system",
                                                        [CID], response=_OBJ, extra=["404"])},
    "/relying-parties/{client_id}/consents": {"get": op("Consents given to this portal", "system", [CID, *PAGE],
                                                        response=_REF("Page"), extra=["404", "422"])},
    "/relying-parties/{client_id}/logout-deliveries": {"get": op(
        "Back-channel logout deliveries to this portal", "system", [CID, *PAGE], response=_REF("Page"),
        extra=["404", "422"])},
    "/registration-requests": {"get": op("Registration requests", "system",
                                         [*PAGE, _param("status", schema={"enum": ["pending", "approved", "rejected"]})],
                                         response=PAGE_OF("RegistrationRequest"), extra=["422"])},
    "/registration-requests/{request_id}": {"get": op("One request", "system", [RID],
                                                      response=_REF("RegistrationRequest"), extra=["404"])},
    "/registration-requests/{request_id}/approve": {"post": op(
        "Approve: registers the relying party; the credentials go to the requester only", "system", [RID],
        None, _REF("RegistrationRequest"), extra=["400", "404", "409", "422"])},
    "/registration-requests/{request_id}/reject": {"post": op(
        "Reject with a reason", "system", [RID], {"type": "object", "required": ["reason"],
                                                  "properties": {"reason": {"type": "string", "minLength": 1}}},
        _REF("RegistrationRequest"), extra=["400", "404", "409", "422"])},
    "/users": {"get": op("Search by username, name, masked ID number or user id", "security", [*PAGE, _param("q")],
                         response=PAGE_OF("User"), extra=["422"])},
    "/users/{user_id}": {"get": op("A user with linked identities (masked)", "security", [UID],
                                   response=_REF("User"), extra=["404"])},
    "/users/{user_id}/sessions": {"get": op("The user's live sessions", "security", [UID], response=_OBJ,
                                            extra=["404"])},
    "/users/{user_id}/login-history": {"get": op("Logins from the audit log", "security", [UID, *PAGE],
                                                 response=PAGE_OF("AuditEvent"), extra=["422"])},
    "/users/{user_id}/lock": {"post": op("Disable the account and end its sessions (back-channel logout)",
                                         "security", [UID], None, _OBJ, extra=["400", "404", "422"])},
    "/users/{user_id}/unlock": {"post": op("Re-enable; clear failed-login lockouts", "security", [UID],
                                           response=_OBJ, extra=["404"])},
    "/users/{user_id}/end-sessions": {"post": op("End every session of the user", "security", [UID],
                                                 response=_OBJ, extra=["404"])},
    "/users/{user_id}/reset-mfa": {"post": op("Remove an admin's TOTP factor (re-enrol at next login)",
                                              "security", [UID], response=_OBJ, extra=["422"])},
    "/keys": {"get": op("Signing keys and their state (active, retiring, retired)", "system", response=_OBJ)},
    "/keys/rotate": {"post": op("Rotate signing keys. Needs a token issued within admin.reauth_window seconds",
                                "system", response=_OBJ)},
    "/audit/events": {"get": op("Audit events, newest first", "audit", [*PAGE, *AUDIT_FILTERS],
                                response=PAGE_OF("AuditEvent"), extra=["422"])},
    "/audit/export": {"get": {**op("Audit events as CSV", "audit", AUDIT_FILTERS, extra=["422"]),
                              "responses": {"200": {"description": "CSV", "content": {"text/csv": {"schema": _STR}}},
                                            "401": {"$ref": "#/components/responses/Problem"},
                                            "403": {"$ref": "#/components/responses/Problem"},
                                            "422": {"$ref": "#/components/responses/Problem"}}}},
    "/audit/verify": {"post": op("Check the HMAC chain of the audit log", "audit", response=_OBJ)},
    "/openapi.json": {"get": {"summary": "This document", "security": [], "responses": {"200": {
        "description": "OpenAPI 3.1", "content": _json(_OBJ)}}}},
}


def document(issuer: str) -> dict:
    return {
        "openapi": "3.1.0",
        "info": {"title": "Unified Identity Gateway admin API", "version": "1.0.0",
                 "description": "Same capabilities as the /admin console. Roles (三员): admin:system, "
                                "admin:security, admin:audit — one per client. Errors are application/problem+json."},
        "servers": [{"url": issuer + PREFIX}],
        "security": [{"bearer": []}],
        "paths": PATHS,
        "components": {
            "securitySchemes": {"bearer": {"type": "oauth2", "flows": {"clientCredentials": {
                "tokenUrl": issuer + "/token", "scopes": {"admin:system": "system admin", "admin:security":
                                                          "security admin", "admin:audit": "audit admin"}}}}},
            "schemas": SCHEMAS,
            "responses": {"Problem": {"description": "Problem details",
                                      "content": {"application/problem+json": {"schema": _REF("Problem")}}}},
        },
    }


@bp.get("/openapi.json")
def openapi():
    from .api import svc

    return ok(document(svc().settings.issuer))
