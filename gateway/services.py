"""Everything stateful an app needs, built once per app and kept in ``app.extensions["gateway"]``."""

from __future__ import annotations

import base64
import json
import time
from dataclasses import dataclass, field
from typing import Any, Callable

import redis

from .account.identities import IdentityStore
from .account.local import LocalAccounts
from .account.lockout import Lockout
from .audit.log import AuditLog
from .logout.queue import DeliveryQueue
from .logout.service import SingleLogout
from .crypto import FieldCipher, derive_key
from .db import Database
from .oidc.claims import SCOPES_SUPPORTED, release
from .oidc.consents import ConsentStore
from .privacy.disclosures import DisclosureLog
from .registry.policy import needs_consent
from .oidc.keys import KeyRing
from .oidc.principal import GrantUser
from .oidc.refresh import RefreshTokenStore
from .oidc.tokens import AccessTokenVerifier, TokenFactory
from .registry.store import ClientStore
from .sessions.redis import make_redis
from .sessions.sso import SSOSessions
from .sessions.stores import CodeStore, OnceStore, RevocationStore, TransactionStore, ended_key
from .settings import Settings


@dataclass
class Services:
    settings: Settings
    db: Database
    redis: redis.Redis
    cipher: FieldCipher
    keys: KeyRing
    clients: ClientStore
    identities: IdentityStore
    accounts: LocalAccounts
    lockout: Lockout
    codes: CodeStore
    transactions: TransactionStore
    revocations: RevocationStore
    once_jti: OnceStore
    sso: SSOSessions
    refresh_tokens: RefreshTokenStore
    audit: AuditLog
    consents: ConsentStore
    disclosures: DisclosureLog
    id_hash_key: bytes
    logout_queue: DeliveryQueue
    single_logout: SingleLogout
    token_factory: TokenFactory
    access_tokens: AccessTokenVerifier
    subject_key: bytes
    clock: Callable[[], float] = time.time
    connectors: dict[str, Any] = field(default_factory=dict)

    # authlib's save_token hook ----------------------------------------------------------------
    def save_token(self, token: dict, request) -> None:
        client = request.client
        user: GrantUser | None = request.user
        grant_type = request.payload.grant_type
        family = None
        if token.get("refresh_token") and user is not None:
            previous = getattr(request, "refresh_grant", None)
            offline = "offline_access" in (token.get("scope") or "").split()
            lifetime = (self.settings.tokens.offline_refresh_token_lifetime if offline
                        else self.settings.tokens.refresh_token_lifetime)
            family = self.refresh_tokens.save(
                token["refresh_token"], client_id=client.client_id, user_id=user.user_id,
                scope=token.get("scope", ""), sid=user.sid, acr=user.acr, amr=user.amr,
                auth_time=user.auth_time, lifetime=lifetime, offline=offline,
                family_id=previous.family_id if previous else None, identity_id=user.identity_id,
                user_type=user.user_type)
        jti = _jti_of(token.get("access_token"))
        if request.authorization_code is not None:
            self.codes.mark_used(request.authorization_code.code,
                                 {"jti": jti, "family": family, "user_id": user.user_id if user else None,
                                  "exp": int(self.clock()) + int(token.get("expires_in", 0))},
                                 ttl=max(self.settings.tokens.access_token_lifetime, 600))
        self.audit.record("token.issue", client_id=client.client_id, user_id=user.user_id if user else None,
                          grant_type=grant_type, scope=token.get("scope", ""))

    def revoke_issued(self, issued: dict) -> None:
        if issued.get("jti"):
            self.revocations.revoke(issued["jti"], int(issued.get("exp", 0) - self.clock()) + 60)
        if issued.get("family"):
            self.refresh_tokens.revoke_family(issued["family"])

    # Sessions ---------------------------------------------------------------------------------
    def session_ended(self, sid: str) -> bool:
        return bool(self.redis.exists(ended_key(sid)))

    def mark_session_ended(self, sid: str) -> None:
        self.redis.set(ended_key(sid), b"1",
                       ex=max(self.settings.tokens.access_token_lifetime, self.settings.tokens.id_token_lifetime) + 60)

    def end_session(self, sid: str, reason: str, actor: str | None = None) -> dict | None:
        """End an SSO session for any reason: tokens bound to it stop working at once."""
        principal = self.sso.end(sid)
        self.mark_session_ended(sid)
        self.refresh_tokens.revoke_for_session(sid)
        if principal is not None:
            self.audit.record("session.end", user_id=principal.get("user_id"), actor=actor, reason=reason,
                              clients=sorted((principal.get("rps") or {}).keys()))
            self.single_logout.notify(principal, reason)
        return principal

    def end_user_sessions(self, user_id: str, reason: str, actor: str | None = None,
                          except_sid: str | None = None) -> int:
        """End every SSO session of a user (admin action, lock, "log out everywhere")."""
        ended = 0
        for sid in self.sso.sids_for_user(user_id):
            if sid != except_sid and self.end_session(sid, reason, actor) is not None:
                ended += 1
        return ended

    def frontchannel_uris(self, principal: dict) -> list[str]:
        """Front-channel logout URIs (with iss and sid) of the portals this session signed in to."""
        from authlib.common.urls import add_params_to_uri

        out = []
        for client_id in sorted((principal.get("rps") or {}).keys()):
            client = self.clients.get(client_id)
            if client is not None and client.frontchannel_logout_uri:
                out.append(add_params_to_uri(client.frontchannel_logout_uri,
                                             [("iss", self.settings.issuer), ("sid", principal["sid"])]))
        return out

    def upstream_logout_url(self, principal: dict, after: str) -> str | None:
        """Where to send the browser so the upstream (e.g. the province) ends its session too."""
        connector = self.connectors.get(principal.get("connector", ""))
        if connector is not None and hasattr(connector, "logout_url"):
            return connector.logout_url(principal, after)
        return None

    # Claims -----------------------------------------------------------------------------------
    def released_claims(self, user: GrantUser, client, scope: str, channel: str) -> dict:
        """Claims for an id_token or userinfo response; the release is recorded (without values)."""
        claims = self.identities.claims(user.user_id, user.identity_id)
        granted = self.consents.granted(user.user_id, client) if needs_consent(client.release_policy, scope) \
            else set()
        released, bases = release(claims, scope, client, granted, self.id_hash_key)
        self.disclosures.record(user.user_id, client.client_id, channel, bases)
        return released

    def client_ip(self, request) -> str | None:
        hops = self.settings.security.trusted_proxies
        if hops > 0:
            forwarded = [p.strip() for p in request.headers.get("X-Forwarded-For", "").split(",") if p.strip()]
            if len(forwarded) >= hops:
                return forwarded[-hops]
        return request.remote_addr


def _jti_of(access_token: str | None) -> str | None:
    if not access_token:
        return None
    try:
        payload = access_token.split(".")[1]
        return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))).get("jti")
    except (IndexError, ValueError):
        return None


def build_services(settings: Settings, clock: Callable[[], float] = time.time) -> Services:
    db = Database(settings.database_url)
    r = make_redis(settings.redis_url, settings.redis_socket_timeout)
    master = settings.secret_key.encode()
    cipher = FieldCipher(settings.data_key, settings.old_data_keys)
    keys = KeyRing(db, cipher, clock=clock)
    subject_key = derive_key(master, "pairwise subject")
    revocations = RevocationStore(r)
    sso = SSOSessions(r, settings.session.idle_timeout, settings.session.absolute_timeout, clock)
    svc = Services(
        settings=settings, db=db, redis=r, cipher=cipher, keys=keys,
        clients=ClientStore(db, derive_key(master, "client secret hash"), r, clock=clock,
                            supported_scopes=SCOPES_SUPPORTED),
        identities=IdentityStore(db, cipher, clock),
        accounts=LocalAccounts(db, settings.security, clock),
        lockout=Lockout(r, settings.security),
        codes=CodeStore(r, settings.tokens.code_lifetime),
        transactions=TransactionStore(r, settings.session.login_transaction_ttl),
        revocations=revocations, once_jti=OnceStore(r, "jti"), sso=sso,
        refresh_tokens=RefreshTokenStore(db, clock),
        audit=AuditLog(db, r, derive_key(master, "audit chain"), clock),
        consents=ConsentStore(db, settings.security.consent_lifetime_days, clock),
        disclosures=DisclosureLog(db, r, clock), id_hash_key=derive_key(master, "id number hash"),
        logout_queue=None, single_logout=None,  # set below: they need the client store and keys
        token_factory=TokenFactory(settings.issuer, keys, settings.tokens.access_token_alg,
                                   settings.tokens.access_token_lifetime, subject_key, cipher, clock),
        access_tokens=None,  # set below
        subject_key=subject_key, clock=clock)
    svc.logout_queue = DeliveryQueue(r, clock)
    svc.single_logout = SingleLogout(settings.issuer, keys, svc.clients, svc.logout_queue, subject_key, clock)
    svc.access_tokens = AccessTokenVerifier(settings.issuer, keys, r, cipher, clock)
    return svc

