"""Load and validate the simulator's registration data (apps, units, users).

The simulator refuses to start on a seed with an invalid ID number or USCC: fixtures that fail the
checksum would let the gateway's own validation go untested.
"""

from __future__ import annotations

import ipaddress
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gateway.federation.cnid import is_valid_id_number, is_valid_uscc

DEFAULT_SEED = Path(__file__).with_name("seed.json")


class SeedError(ValueError):
    """The seed is malformed; the simulator must not start with it."""


@dataclass(frozen=True)
class App:
    app_mark: str
    app_name: str
    org_name: str
    app_word: str
    back_url_prefixes: tuple[str, ...]
    ip_whitelist: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]
    user_types: tuple[int, ...]
    attributes: frozenset[str]
    min_auth_level: int
    logout_url: str
    online: bool
    require_app_sign: bool

    def grants(self, attribute: str) -> bool:
        return attribute in self.attributes or (attribute.startswith("corp") and "corp.*" in self.attributes)


@dataclass(frozen=True)
class Corp:
    corp_id: str
    corp_name: str
    uscc: str
    corp_type: str
    legal_person_name: str
    legal_person_id: str
    corp_auth_level: int


@dataclass(frozen=True)
class Unit:
    """A user's authorisation for one unit (法人/管理员/经办人)."""

    corp_id: str
    role: str  # D.3 code: 1 法定代表人, 2 管理员, 3 经办人
    default: bool = False


@dataclass(frozen=True)
class User:
    user_id: str
    login_name: str
    password: str
    name: str
    id_type: str
    id_number: str
    sex: str
    mobile: str
    auth_level: int
    max_auth_level: int  # what the simulated face check can raise the account to
    frozen: bool
    units: tuple[Unit, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class Seed:
    apps: dict[str, App]
    corps: dict[str, Corp]
    users: dict[str, User]  # by userId
    sms_code: str

    def user_by_login(self, login: str) -> User | None:
        login = login.strip()
        for user in self.users.values():
            # The real system accepts login name, mobile or ID number.
            if login and login in (user.login_name, user.mobile, user.id_number):
                return user
        return None


def _app(raw: dict[str, Any]) -> App:
    mark = raw["appMark"]
    if len(raw.get("appWord", "")) < 16:
        raise SeedError(f"app {mark}: appWord must be at least 16 characters")
    try:
        nets = tuple(ipaddress.ip_network(n, strict=False) for n in raw.get("ipWhitelist", []))
    except ValueError as exc:
        raise SeedError(f"app {mark}: bad ipWhitelist: {exc}") from exc
    return App(
        app_mark=mark, app_name=raw.get("appName", mark), org_name=raw.get("orgName", ""),
        app_word=raw["appWord"], back_url_prefixes=tuple(raw.get("backUrlPrefixes", [])),
        ip_whitelist=nets, user_types=tuple(int(t) for t in raw.get("userTypes", [1])),
        attributes=frozenset(raw.get("attributes", [])), min_auth_level=int(raw.get("minAuthLevel", 0)),
        logout_url=raw.get("logoutUrl", ""), online=raw.get("status", "online") == "online",
        require_app_sign=bool(raw.get("requireAppSign", True)),
    )


def _corp(raw: dict[str, Any]) -> Corp:
    if not is_valid_uscc(raw["uscc"]):
        raise SeedError(f"corp {raw['corpId']}: invalid USCC {raw['uscc']!r}")
    lp_id = raw.get("legalPersonId", "")
    if lp_id and not is_valid_id_number(lp_id):
        raise SeedError(f"corp {raw['corpId']}: invalid legal-person ID number")
    return Corp(raw["corpId"], raw["corpName"], raw["uscc"], str(raw.get("corpType", "1")),
                raw.get("legalPersonName", ""), lp_id, int(raw.get("corpAuthLevel", 0)))


def _user(raw: dict[str, Any], corps: dict[str, Corp]) -> User:
    login = raw["loginName"]
    id_number = raw.get("idNumber", "")
    if id_number and not is_valid_id_number(id_number):
        # Never echo the number itself: seeds may be copied from somewhere they shouldn't be.
        raise SeedError(f"user {login}: invalid ID number")
    units = tuple(Unit(u["corpId"], str(u["role"]), bool(u.get("default", False))) for u in raw.get("units", []))
    for unit in units:
        if unit.corp_id not in corps:
            raise SeedError(f"user {login}: unknown corp {unit.corp_id}")
    level = int(raw.get("authLevel", 0))
    return User(
        user_id=raw["userId"], login_name=login, password=raw["password"], name=raw.get("name", ""),
        id_type=raw.get("idType", "111" if id_number else ""), id_number=id_number, sex=str(raw.get("sex", "")),
        mobile=raw.get("mobile", ""), auth_level=level, max_auth_level=max(level, int(raw.get("maxAuthLevel", level))),
        frozen=raw.get("status", "normal") == "frozen", units=units,
    )


def parse_seed(raw: dict[str, Any]) -> Seed:
    """Validate a seed document; raises SeedError with a message naming the bad entry."""
    try:
        apps = {a["appMark"]: _app(a) for a in raw.get("apps", [])}
        corps = {c["corpId"]: _corp(c) for c in raw.get("corps", [])}
        users = {u["userId"]: _user(u, corps) for u in raw.get("users", [])}
    except KeyError as exc:
        raise SeedError(f"missing field {exc}") from exc
    logins = [u.login_name for u in users.values()]
    if len(logins) != len(set(logins)):
        raise SeedError("duplicate loginName")
    return Seed(apps, corps, users, str(raw.get("smsCode", "123456")))


def load_seed(source: str | Path | dict[str, Any] | None = None) -> Seed:
    """Load from a dict, a JSON file path, or the shipped seed.json."""
    if isinstance(source, dict):
        return parse_seed(source)
    path = Path(source) if source else DEFAULT_SEED
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise SeedError(f"cannot read seed {path}: {exc}") from exc
    return parse_seed(raw)
