"""One typed, frozen settings object, read once.

Sources, later ones winning:
1. defaults in the dataclasses below;
2. the TOML file at ``GATEWAY_CONFIG`` (default ``config/gateway.toml``; a missing file is fine);
3. ``GATEWAY_*`` environment variables: ``GATEWAY_<FIELD>`` for top-level fields
   (``GATEWAY_ISSUER``, ``GATEWAY_REDIS_URL`` …) and ``GATEWAY_<SECTION>_<FIELD>`` for fields of a
   section (``GATEWAY_PROVINCIAL_BASE_URL``, ``GATEWAY_SESSION_IDLE_TIMEOUT`` …).

Every field is documented in ``config/gateway.example.toml``. Nothing else in the gateway reads
``os.environ``.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
import typing
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

ENV_PREFIX = "GATEWAY_"
DEFAULT_CONFIG_PATH = Path("config/gateway.toml")


class SettingsError(ValueError):
    """The configuration is invalid; the message lists every problem found."""


@dataclass(frozen=True)
class SessionSettings:
    cookie_name: str = "gw_session"
    idle_timeout: int = 1800  # seconds without activity before the SSO session ends
    absolute_timeout: int = 28800  # seconds after login, whatever the activity
    login_transaction_ttl: int = 600  # an unfinished login (pending /authorize) lives this long


@dataclass(frozen=True)
class TokenSettings:
    code_lifetime: int = 60
    access_token_lifetime: int = 600
    id_token_lifetime: int = 600
    refresh_token_lifetime: int = 28800  # bound to the SSO session unless offline_access
    offline_refresh_token_lifetime: int = 2592000
    access_token_alg: str = "ES256"  # RS256 available; ES256 is ~12x cheaper to sign
    id_token_alg: str = "RS256"  # default for clients that do not ask for another
    key_retire_grace: int = 86400  # seconds a rotated-out key stays in JWKS at least
    key_publish_delay: int = 300  # a new key is in JWKS this long before it signs anything


@dataclass(frozen=True)
class SecuritySettings:
    lockout_threshold: int = 5  # failures ...
    lockout_window: int = 900  # ... within this many seconds ...
    lockout_duration: int = 1800  # ... lock the account this long
    login_rate_per_ip: str = "30/minute"
    token_rate_per_client: str = "6000/minute"
    # Rate limits (Flask-Limiter, counters in the app's Redis; gateway/ratelimit.py, docs/security.md)
    rate_limits_enabled: bool = True
    rate_limit_strategy: str = "fixed-window"  # cheapest in Redis (bench: 1.3x sliding-window-counter); or moving-window | sliding-window-counter
    login_rate_per_account: str = "10/minute"
    token_rate_per_ip: str = "6000/minute"
    password_min_length: int = 8
    password_history: int = 5
    password_max_age_days: int = 0  # 0 = passwords never expire
    argon2_time_cost: int = 2
    argon2_memory_cost: int = 19456  # KiB (OWASP minimum: 19 MiB)
    argon2_parallelism: int = 1
    consent_lifetime_days: int = 365
    trusted_proxies: int = 0  # how many X-Forwarded-For hops to trust


@dataclass(frozen=True)
class ProvincialSettings:
    enabled: bool = False
    base_url: str = "http://127.0.0.1:5001"
    app_mark: str = "WFTYSFRZ"
    app_word: str = ""
    connect_timeout: float = 3.0
    read_timeout: float = 5.0
    require_app_sign: bool = True
    login_path: str = "/jis-web/login"


@dataclass(frozen=True)
class LdapDirectory:
    """One department directory. ``name`` is the short key used in URLs and usernames (``user@name``)."""

    name: str
    display_name: str
    department: str
    uris: tuple[str, ...]
    bind_dn: str = ""
    bind_password: str = ""
    user_base: str = ""
    user_filter: str = "(uid={username})"
    pool_strategy: str = "FIRST"  # FIRST | ROUND_ROBIN
    start_tls: bool = False
    ca_file: str = ""
    connect_timeout: float = 3.0
    receive_timeout: float = 5.0
    attributes: dict[str, str] = field(default_factory=dict)  # claim -> LDAP attribute
    group_mode: str = "memberOf"  # memberOf | groupOfNames
    group_base: str = ""
    group_name_attribute: str = "cn"
    disabled_attribute: str = "pwdAccountLockedTime"
    acr: str = "urn:weifang:gateway:loa:staff"
    role_groups: dict[str, str] = field(default_factory=dict)  # group cn -> gateway role


@dataclass(frozen=True)
class AdminSettings:
    """Admin console and API (等保 三员: system, security and audit administrators)."""

    idle_timeout: int = 900  # seconds of inactivity before an admin console session ends
    reauth_window: int = 300  # password + TOTP again within this many seconds for secret/key rotation
    audit_retention_days: int = 180  # older audit records may be exported and purged
    totp_issuer: str = "潍坊市统一身份认证网关"
    # account role (local account roles, or directory groups via ldap role_groups) -> admin role
    role_map: dict[str, str] = field(default_factory=lambda: {
        "system_admin": "system", "security_admin": "security", "audit_admin": "audit"})
    developer_roles: tuple[str, ...] = ("developer",)  # besides staff logins, may submit registrations


@dataclass(frozen=True)
class Settings:
    issuer: str = "http://127.0.0.1:5000"
    port: int = 5000
    secret_key: str = ""
    data_key: str = ""  # base64 of 32 bytes: encrypts signing keys and personal data at rest
    old_data_keys: tuple[str, ...] = ()  # previous data keys, still accepted for decryption (rotation)
    database_url: str = "sqlite:///instance/gateway.sqlite"
    redis_url: str = "redis://127.0.0.1:6379/0"
    redis_socket_timeout: float = 1.0
    testing: bool = False
    default_locale: str = "zh_CN"
    home_links: dict[str, str] = field(default_factory=dict)  # portal name -> URL, listed on the home page
    log_json: bool = True
    session: SessionSettings = field(default_factory=SessionSettings)
    tokens: TokenSettings = field(default_factory=TokenSettings)
    security: SecuritySettings = field(default_factory=SecuritySettings)
    provincial: ProvincialSettings = field(default_factory=ProvincialSettings)
    ldap: tuple[LdapDirectory, ...] = ()
    admin: AdminSettings = field(default_factory=AdminSettings)

    @property
    def secure_cookies(self) -> bool:
        return self.issuer.startswith("https://")

    @classmethod
    def load(cls, environ: typing.Mapping[str, str] | None = None) -> "Settings":
        """Read the TOML file named by ``GATEWAY_CONFIG`` and apply ``GATEWAY_*`` overrides."""
        environ = os.environ if environ is None else environ
        path = Path(environ.get("GATEWAY_CONFIG", DEFAULT_CONFIG_PATH))
        data: dict = {}
        if path.is_file():
            with path.open("rb") as fh:
                data = tomllib.load(fh)
        elif "GATEWAY_CONFIG" in environ:
            raise SettingsError(f"GATEWAY_CONFIG names {path}, which does not exist")
        return cls.from_mapping(data, environ)

    @classmethod
    def from_mapping(cls, data: typing.Mapping, environ: typing.Mapping[str, str] | None = None) -> "Settings":
        data = _apply_env(dict(data), environ or {})
        errors: list[str] = []
        settings = _build(cls, data, "", errors)
        if settings is not None:
            errors.extend(_validate(settings))
        if errors:
            raise SettingsError("invalid configuration:\n  " + "\n  ".join(errors))
        return settings

    def replace(self, **changes) -> "Settings":
        return dataclasses.replace(self, **changes)


_SECTIONS = {"session": SessionSettings, "tokens": TokenSettings, "security": SecuritySettings,
             "provincial": ProvincialSettings, "admin": AdminSettings}


def _apply_env(data: dict, environ: typing.Mapping[str, str]) -> dict:
    top = {f.name for f in dataclasses.fields(Settings)} - set(_SECTIONS) - {"ldap"}
    for key, value in environ.items():
        if not key.startswith(ENV_PREFIX) or key == "GATEWAY_CONFIG":
            continue
        name = key[len(ENV_PREFIX):].lower()
        if name in top:
            data[name] = value
            continue
        for section in _SECTIONS:
            if name.startswith(section + "_"):
                sub = dict(data.get(section, {}))
                sub[name[len(section) + 1:]] = value
                data[section] = sub
                break
    return data


def _coerce(value, typ, where: str, errors: list[str]):
    origin = typing.get_origin(typ)
    if typ is bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("1", "true", "yes", "on", "0", "false", "no", "off"):
            return value.lower() in ("1", "true", "yes", "on")
    elif typ is int:
        try:
            if not isinstance(value, bool):
                return int(value)
        except (TypeError, ValueError):
            pass
    elif typ is float:
        try:
            if not isinstance(value, bool):
                return float(value)
        except (TypeError, ValueError):
            pass
    elif typ is str:
        if isinstance(value, str):
            return value
    elif origin is tuple:
        if isinstance(value, str):
            value = [v.strip() for v in value.split(",") if v.strip()]
        if isinstance(value, list):
            return tuple(str(v) for v in value)
    elif origin is dict:
        if isinstance(value, dict):
            return {str(k): str(v) for k, v in value.items()}
    errors.append(f"{where}: expected {getattr(typ, '__name__', typ)}, got {value!r}")
    return None


def _build(cls, data: typing.Mapping, prefix: str, errors: list[str]):
    if not isinstance(data, typing.Mapping):
        errors.append(f"{prefix or 'settings'}: expected a table")
        return None
    hints = typing.get_type_hints(cls)
    names = {f.name for f in dataclasses.fields(cls)}
    for unknown in sorted(set(data) - names):
        errors.append(f"{prefix}{unknown}: unknown setting")
    kwargs = {}
    for f in dataclasses.fields(cls):
        if f.name not in data:
            continue
        where = f"{prefix}{f.name}"
        typ = hints[f.name]
        value = data[f.name]
        if f.name in _SECTIONS and cls is Settings:
            kwargs[f.name] = _build(_SECTIONS[f.name], value, where + ".", errors)
        elif f.name == "ldap" and cls is Settings:
            directories = value.get("directories", []) if isinstance(value, dict) else value
            kwargs[f.name] = tuple(
                d for i, raw in enumerate(directories)
                if (d := _build(LdapDirectory, raw, f"ldap.directories[{i}].", errors)) is not None
            )
        else:
            kwargs[f.name] = _coerce(value, typ, where, errors)
    missing = [f.name for f in dataclasses.fields(cls)
               if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
               and f.name not in kwargs]
    for name in missing:
        errors.append(f"{prefix}{name}: required")
    if errors:
        return None
    return cls(**kwargs)


def _validate(s: Settings) -> list[str]:
    errors = []
    parts = urlsplit(s.issuer)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        errors.append(f"issuer: must be an http(s) URL without query or fragment, got {s.issuer!r}")
    elif parts.scheme == "http" and parts.hostname not in ("127.0.0.1", "localhost", "::1") and not s.testing:
        errors.append("issuer: must be https outside loopback development")
    if s.issuer.endswith("/"):
        errors.append("issuer: must not end with '/'")
    if len(s.secret_key) < 32:
        errors.append("secret_key: at least 32 characters of random data are required")
    from base64 import b64decode  # local: only needed here

    try:
        if len(b64decode(s.data_key, validate=True)) != 32:
            raise ValueError
    except ValueError:
        errors.append("data_key: must be base64 of exactly 32 random bytes "
                      "(python -c 'import os,base64;print(base64.b64encode(os.urandom(32)).decode())')")
    for i, old in enumerate(s.old_data_keys):
        try:
            if len(b64decode(old, validate=True)) != 32:
                raise ValueError
        except ValueError:
            errors.append(f"old_data_keys[{i}]: must be base64 of exactly 32 bytes")
    if s.tokens.access_token_alg not in ("ES256", "RS256"):
        errors.append("tokens.access_token_alg: ES256 or RS256")
    if s.tokens.id_token_alg not in ("ES256", "RS256"):
        errors.append("tokens.id_token_alg: ES256 or RS256")
    if s.session.idle_timeout <= 0 or s.session.absolute_timeout < s.session.idle_timeout:
        errors.append("session: idle_timeout must be > 0 and <= absolute_timeout")
    errors.extend(_validate_rates(s.security))
    if s.provincial.enabled and not s.provincial.app_word:
        errors.append("provincial.app_word: required when provincial.enabled")
    seen = set()
    for d in s.ldap:
        if d.name in seen:
            errors.append(f"ldap.directories: duplicate name {d.name!r}")
        seen.add(d.name)
        if not d.uris:
            errors.append(f"ldap.directories[{d.name}].uris: at least one server")
        if d.pool_strategy not in ("FIRST", "ROUND_ROBIN"):
            errors.append(f"ldap.directories[{d.name}].pool_strategy: FIRST or ROUND_ROBIN")
        if "{username}" not in d.user_filter:
            errors.append(f"ldap.directories[{d.name}].user_filter: must contain {{username}}")
    return errors


def _validate_rates(sec: SecuritySettings) -> list[str]:
    from limits import parse_many  # local: only needed here

    errors = []
    if sec.rate_limit_strategy not in ("fixed-window", "moving-window", "sliding-window-counter"):
        errors.append("security.rate_limit_strategy: fixed-window, moving-window or sliding-window-counter")
    for name in ("login_rate_per_ip", "login_rate_per_account", "token_rate_per_client", "token_rate_per_ip"):
        try:
            parse_many(getattr(sec, name))
        except ValueError:
            errors.append(f"security.{name}: a rate such as '30/minute' or '10 per second'")
    return errors
