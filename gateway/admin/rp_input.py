"""Relying-party input from the console form or API JSON → checked field values.

Type problems are collected here; the registry's own validation (``validate_registration``,
``validate_policy``) then applies the rules an admin cannot bypass (https redirect URIs except
loopback, no wildcards or fragments, exact strings).
"""

from __future__ import annotations

from ..oidc.claims import SCOPES_SUPPORTED
from ..registry.policy import CATALOGUE, PolicyError, validate_policy
from .roles import ADMIN_SCOPES

LIST_FIELDS = ("redirect_uris", "post_logout_redirect_uris", "grant_types", "allowed_user_types")
STR_FIELDS = ("name", "department", "scope", "token_endpoint_auth_method", "subject_type",
              "id_token_signed_response_alg", "backchannel_logout_uri", "frontchannel_logout_uri")
FIELDS = LIST_FIELDS + STR_FIELDS + ("min_acr_level", "release_policy", "first_party")
# Admin API scopes are granted by the operator on the command line only: a system admin who
# could register a client with admin:security would hold two roles.
CONSOLE_SCOPES = tuple(s for s in SCOPES_SUPPORTED if s not in ADMIN_SCOPES)


def clean(data: dict, *, partial: bool = False) -> tuple[dict, list[str]]:
    """Checked values for the fields present in ``data`` (all required ones unless ``partial``)."""
    out, errors = {}, []
    if not isinstance(data, dict):
        return {}, ["body: expected a JSON object"]
    for key in sorted(set(data) - set(FIELDS)):
        errors.append(f"{key}: unknown field")
    for key in LIST_FIELDS:
        if key in data:
            value = data[key]
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value) or len(value) > 50:
                errors.append(f"{key}: expected a list of at most 50 strings")
            else:
                out[key] = [v.strip() for v in value if v.strip()]
    for key in STR_FIELDS:
        if key in data:
            value = data[key]
            if value is None and key.endswith("logout_uri"):
                out[key] = None
            elif not isinstance(value, str) or len(value) > 2000:
                errors.append(f"{key}: expected a string")
            else:
                out[key] = value.strip() or (None if key.endswith("logout_uri") else "")
    if "min_acr_level" in data:
        value = data["min_acr_level"]
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 3:
            errors.append("min_acr_level: an integer 0 to 3")
        else:
            out["min_acr_level"] = value
    if "first_party" in data:
        if not isinstance(data["first_party"], bool):
            errors.append("first_party: expected true or false")
        else:
            out["first_party"] = data["first_party"]
    if "release_policy" in data:
        policy = data["release_policy"]
        if not isinstance(policy, dict):
            errors.append("release_policy: expected an object claim -> {basis, purpose}")
        else:
            try:
                validate_policy(policy)
                out["release_policy"] = {c: {"basis": r["basis"], "purpose": str(r.get("purpose", ""))}
                                         for c, r in policy.items()}
            except PolicyError as exc:
                errors.append(f"release_policy: {exc}")
    if "scope" in out:
        for s in out["scope"].split():
            if s in ADMIN_SCOPES:
                errors.append(f"scope: {s} is granted by the operator only (flask --app wsgi clients create)")
            elif s not in SCOPES_SUPPORTED:
                errors.append(f"scope: {s!r} is not supported")
    if not partial and not out.get("name"):
        errors.append("name: required")
    return out, errors


def from_form(form) -> dict:
    """The console form as the same dict the API takes."""
    lines = lambda name: [v.strip() for v in form.get(name, "").splitlines() if v.strip()]  # noqa: E731
    policy = {}
    for claim in CATALOGUE:
        basis = form.get(f"basis_{claim}", "")
        if basis:
            policy[claim] = {"basis": basis, "purpose": form.get(f"purpose_{claim}", "").strip()}
    try:
        level = int(form.get("min_acr_level", "0"))
    except ValueError:
        level = -1
    return {
        "name": form.get("name", "").strip(), "department": form.get("department", "").strip(),
        "redirect_uris": lines("redirect_uris"), "post_logout_redirect_uris": lines("post_logout_redirect_uris"),
        "backchannel_logout_uri": form.get("backchannel_logout_uri", "").strip() or None,
        "frontchannel_logout_uri": form.get("frontchannel_logout_uri", "").strip() or None,
        "grant_types": form.getlist("grant_types"), "scope": " ".join(form.getlist("scope")),
        "token_endpoint_auth_method": form.get("token_endpoint_auth_method", "client_secret_basic"),
        "subject_type": form.get("subject_type", "pairwise"),
        "id_token_signed_response_alg": form.get("id_token_signed_response_alg", "RS256"),
        "allowed_user_types": form.getlist("allowed_user_types"), "min_acr_level": level,
        "release_policy": policy, "first_party": form.get("first_party") == "on",
    }


def rp_dict(rp) -> dict:
    """A relying party as the console and the API show it (never the secret hash)."""
    return {
        "client_id": rp.client_id, "name": rp.name, "department": rp.department, "enabled": bool(rp.enabled),
        "version": rp.version or 1, "redirect_uris": list(rp.redirect_uris or []),
        "post_logout_redirect_uris": list(rp.post_logout_redirect_uris or []),
        "backchannel_logout_uri": rp.backchannel_logout_uri, "frontchannel_logout_uri": rp.frontchannel_logout_uri,
        "grant_types": list(rp.grant_types or []), "scope": rp.scope,
        "token_endpoint_auth_method": rp.token_endpoint_auth_method, "subject_type": rp.subject_type,
        "id_token_signed_response_alg": rp.id_token_signed_response_alg,
        "allowed_user_types": list(rp.allowed_user_types or []), "min_acr_level": rp.min_acr_level or 0,
        "release_policy": dict(rp.release_policy or {}), "first_party": bool(rp.first_party),
        "has_secret": bool(rp.secret_hash), "secret_rotated_at": rp.secret_rotated_at,
        "created_at": rp.created_at, "updated_at": rp.updated_at,
    }
