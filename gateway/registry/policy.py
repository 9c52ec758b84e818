"""Attribute release policy: which claims a relying party may receive, on what legal basis, why.

A policy maps claim name -> {"basis": "statutory" | "consent", "purpose": text}. A relying party
never receives a claim outside its policy, whatever scopes it asks for (and a claim is released
only when a granted scope asks for it). A registration without an explicit policy gets one derived
from its scopes, with *masked* personal numbers only: basis "statutory" for first-party
(statutory-duty) portals, "consent" for everyone else. An explicit policy replaces the defaults.
"""

from __future__ import annotations

def N_(text: str) -> str:
    """Mark for translation; translated where shown."""
    return text


# claim -> (scope that requests it, zh-CN label, sensitive)
CATALOGUE: dict[str, tuple[str, str, bool]] = {
    "name": ("profile", N_("姓名"), False),
    "preferred_username": ("profile", N_("用户名"), False),
    "cn_user_type": ("profile", N_("用户类型（个人/法人/工作人员）"), False),
    "email": ("email", N_("电子邮箱"), False),
    "phone_number_masked": ("phone", N_("手机号码（脱敏）"), False),
    "phone_number": ("phone", N_("手机号码（完整）"), True),
    "cn_id_number_masked": ("cn_id", N_("身份证号（脱敏）"), False),
    "cn_id_number_hash": ("cn_id", N_("身份证号比对码（不可还原）"), False),
    "cn_id_number": ("cn_id", N_("身份证号（完整）"), True),
    "corp": ("corp", N_("所代表的单位（名称、统一社会信用代码、角色）"), True),
    "department": ("staff", N_("部门"), False),
    "department_name": ("staff", N_("部门名称"), False),
    "title": ("staff", N_("职务"), False),
    "groups": ("staff", N_("所属群组"), False),
}
BASES = ("statutory", "consent")
# Claims given by default for a scope; full numbers and the hash only when named explicitly.
DEFAULT_FOR_SCOPE = {
    "profile": ("name", "preferred_username", "cn_user_type"),
    "email": ("email",),
    "phone": ("phone_number_masked",),
    "cn_id": ("cn_id_number_masked",),
    "corp": ("corp",),
    "staff": ("department", "department_name", "title", "groups"),
}
DEFAULT_PURPOSE = N_("办理本系统业务所需")


class PolicyError(ValueError):
    pass


def default_policy(scope: str, first_party: bool) -> dict:
    basis = "statutory" if first_party else "consent"
    policy = {}
    for s in scope.split():
        for claim in DEFAULT_FOR_SCOPE.get(s, ()):
            policy[claim] = {"basis": basis, "purpose": DEFAULT_PURPOSE}
    return policy


def effective_policy(explicit: dict | None, scope: str, first_party: bool) -> dict:
    """The registered policy if there is one (it is the whole policy), else the scope defaults."""
    if not explicit:
        return default_policy(scope, first_party)
    return {claim: {"basis": rule.get("basis", "consent"), "purpose": rule.get("purpose") or DEFAULT_PURPOSE}
            for claim, rule in explicit.items()}


def validate_policy(policy: dict) -> None:
    errors = []
    for claim, rule in (policy or {}).items():
        if claim not in CATALOGUE:
            errors.append(f"unknown claim {claim!r}")
        elif not isinstance(rule, dict) or rule.get("basis") not in BASES:
            errors.append(f"{claim}: basis must be statutory or consent")
        elif len(str(rule.get("purpose", ""))) > 500:
            errors.append(f"{claim}: purpose text too long")
    if errors:
        raise PolicyError("; ".join(errors))


def requested(policy: dict, scope: str) -> dict:
    """The policy entries a request with this scope asks for."""
    scopes = set(scope.split())
    return {c: r for c, r in policy.items() if CATALOGUE.get(c, ("",))[0] in scopes}


def needs_consent(policy: dict, scope: str) -> list[str]:
    return sorted(c for c, r in requested(policy, scope).items() if r["basis"] == "consent")


def is_sensitive(claim: str) -> bool:
    return CATALOGUE.get(claim, ("", "", False))[2]


def label(claim: str) -> str:
    return CATALOGUE.get(claim, ("", claim, False))[1]
