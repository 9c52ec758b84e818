"""The OpenID Connect relying party: authorization code flow with PKCE, and the token calls."""

from __future__ import annotations

import hmac
import logging
import secrets
import time
from collections.abc import Callable, Mapping
from typing import Any

import requests
from authlib.common.urls import add_params_to_uri
from authlib.oauth2.rfc7636 import create_s256_code_challenge

from ._http import client_auth, new_session, post_form
from .config import ClientConfig
from .discovery import Discovery
from .errors import (
    AuthorizationError,
    ConfigurationError,
    InvalidIdToken,
    IssuerMismatch,
    StateMismatch,
    TokenRequestError,
)
from .idtoken import IdTokenValidator
from .tokens import AuthRequest, TokenSet

logger = logging.getLogger("sso_client")


class OIDCClient:
    """A relying party of the gateway.

    >>> client = OIDCClient(ClientConfig(issuer="https://sso.example.gov.cn", client_id="portal",
    ...                                  client_secret="s3cret", redirect_uri="https://portal/sso/callback"))
    >>> req = client.authorization_url()          # redirect the browser to req.url, keep req
    >>> tokens = client.handle_callback(request_args, expected=req)
    >>> tokens.claims["sub"]

    :param config: the client configuration.
    :param discovery: a shared :class:`Discovery` (created from ``config`` otherwise).
    :param http: a ``requests.Session`` for all calls.
    :param clock: wall clock seam (UNIX seconds) for tests.
    """

    def __init__(
        self,
        config: ClientConfig,
        *,
        discovery: Discovery | None = None,
        http: requests.Session | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.config = config
        self.http = http or new_session()
        self.discovery = discovery or Discovery(
            config.issuer,
            http=self.http,
            timeout=config.http_timeout,
            ttl=config.discovery_ttl,
            min_refetch_interval=config.jwks_min_refetch_interval,
        )
        self.clock = clock
        self.id_tokens = IdTokenValidator(config, self.discovery, clock)

    # -- login --------------------------------------------------------------------

    def authorization_url(
        self,
        state: str | None = None,
        nonce: str | None = None,
        acr_values: str | None = None,
        prompt: str | None = None,
        max_age: int | None = None,
        login_hint: str | None = None,
        extra: Mapping[str, Any] | None = None,
        *,
        redirect_uri: str | None = None,
        require_acr: bool = False,
    ) -> AuthRequest:
        """Build the authorization request (code flow, PKCE S256, state and nonce).

        Send the browser to ``result.url`` and keep the returned :class:`AuthRequest`
        (server side or in the signed session) for :meth:`handle_callback`.
        ``redirect_uri`` overrides the configured one; ``require_acr`` makes the
        callback fail unless the id_token's ``acr`` meets ``acr_values``.
        """
        redirect_uri = redirect_uri or self.config.redirect_uri
        if not redirect_uri:
            raise ConfigurationError("redirect_uri is not configured")
        state = state or secrets.token_urlsafe(32)
        nonce = nonce or secrets.token_urlsafe(32)
        code_verifier = secrets.token_urlsafe(64)  # 86 characters, within RFC 7636's 43..128
        params: dict[str, Any] = dict(self.config.extra_authorize_params)
        params.update(
            response_type="code",
            client_id=self.config.client_id,
            redirect_uri=redirect_uri,
            scope=self.config.scope,
            state=state,
            nonce=nonce,
            code_challenge=create_s256_code_challenge(code_verifier),
            code_challenge_method="S256",
        )
        optional = {"acr_values": acr_values, "prompt": prompt, "max_age": max_age, "login_hint": login_hint}
        params.update({k: v for k, v in optional.items() if v is not None})
        if extra:
            params.update(extra)
        url = str(add_params_to_uri(self.discovery.endpoint("authorization_endpoint"), list(params.items())))
        return AuthRequest(
            url=url,
            state=state,
            nonce=nonce,
            code_verifier=code_verifier,
            redirect_uri=redirect_uri,
            acr_values=acr_values,
            require_acr=require_acr,
            max_age=max_age,
        )

    def handle_callback(self, params: Mapping[str, str], expected: AuthRequest) -> TokenSet:
        """Check the authorization response, redeem the code and validate the id_token.

        ``params`` are the callback's query parameters. Raises
        :class:`AuthorizationError`, :class:`StateMismatch`, :class:`IssuerMismatch`,
        :class:`TokenRequestError` or :class:`InvalidIdToken`.
        """
        state = params.get("state") or ""
        if not hmac.compare_digest(state.encode(), expected.state.encode()):
            raise StateMismatch("state does not match the authorization request")
        if "iss" in params and params["iss"] != self.config.issuer:
            raise IssuerMismatch("iss parameter is not the configured issuer")
        if params.get("error"):
            raise AuthorizationError(params["error"], params.get("error_description"))
        code = params.get("code")
        if not code:
            raise AuthorizationError("invalid_request", "callback has no code")
        body = self._token_request(
            {
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": expected.redirect_uri,
                "code_verifier": expected.code_verifier,
            }
        )
        id_token = body.get("id_token")
        if not isinstance(id_token, str):
            raise InvalidIdToken("token response has no id_token")
        claims = self.id_tokens.validate(
            id_token,
            nonce=expected.nonce,
            access_token=body.get("access_token"),
            acr_values=expected.acr_values,
            require_acr=expected.require_acr,
            max_age=expected.max_age,
        )
        logger.info("login completed for sub=%s", claims.get("sub"))
        return TokenSet.from_response(body, claims, self.clock())

    # -- tokens -------------------------------------------------------------------

    def refresh(self, token_set: TokenSet) -> TokenSet:
        """Use the refresh token; returns the new TokenSet.

        The gateway rotates refresh tokens: the returned set holds the new one and the
        old one must never be used again (use :class:`sso_client.refresh.TokenManager`
        when several threads or workers share a session).
        """
        if not token_set.refresh_token:
            raise TokenRequestError("invalid_grant", "no refresh token")
        body = self._token_request({"grant_type": "refresh_token", "refresh_token": token_set.refresh_token})
        claims = token_set.claims
        id_token = body.get("id_token")
        if isinstance(id_token, str):
            new_claims = self.id_tokens.validate(id_token, nonce=None, access_token=body.get("access_token"))
            # OIDC Core §12.2: same subject and issuer as the original id_token.
            if claims and new_claims.get("sub") != claims.get("sub"):
                raise InvalidIdToken("refreshed id_token has a different sub")
            claims = new_claims
        new = TokenSet.from_response(body, claims, self.clock())
        return TokenSet(
            access_token=new.access_token,
            token_type=new.token_type,
            refresh_token=new.refresh_token or token_set.refresh_token,
            id_token=new.id_token or token_set.id_token,
            expires_at=new.expires_at,
            scope=new.scope or token_set.scope,
            claims=claims,
        )

    def userinfo(self, access_token: str, expected_sub: str | None = None) -> dict[str, Any]:
        """Call the UserInfo endpoint with a bearer token; returns the claims.

        Pass the id_token's ``sub`` as ``expected_sub``: OIDC Core §5.3.2 requires the
        answer to be about the same user.
        """
        url = self.discovery.endpoint("userinfo_endpoint")
        try:
            resp = self.http.get(
                url,
                headers={"Authorization": f"Bearer {access_token}", "Accept": "application/json"},
                timeout=self.config.http_timeout,
            )
        except requests.RequestException as exc:
            raise TokenRequestError("temporarily_unavailable", f"userinfo: {type(exc).__name__}") from exc
        if resp.status_code != 200:
            raise TokenRequestError("invalid_token" if resp.status_code == 401 else "server_error", None, resp.status_code)
        try:
            data = resp.json()
        except ValueError as exc:
            raise TokenRequestError("invalid_response", "userinfo is not JSON", resp.status_code) from exc
        if not isinstance(data, dict) or not isinstance(data.get("sub"), str):
            raise TokenRequestError("invalid_response", "userinfo has no sub", resp.status_code)
        if expected_sub is not None and data["sub"] != expected_sub:
            raise TokenRequestError("invalid_response", "userinfo sub differs from the id_token", resp.status_code)
        return data

    def end_session_url(
        self,
        id_token_hint: str | None,
        post_logout_redirect_uri: str | None = None,
        state: str | None = None,
    ) -> str:
        """The RP-initiated logout URL (OIDC RP-Initiated Logout 1.0) to redirect the browser to."""
        params: list[tuple[str, str]] = [("client_id", self.config.client_id)]
        if id_token_hint:
            params.append(("id_token_hint", id_token_hint))
        target = post_logout_redirect_uri or self.config.post_logout_redirect_uri
        if target:
            params.append(("post_logout_redirect_uri", target))
        if state:
            params.append(("state", state))
        return str(add_params_to_uri(self.discovery.endpoint("end_session_endpoint"), params))

    def introspect(self, token: str, token_type_hint: str | None = None) -> dict[str, Any]:
        """RFC 7662 introspection; returns the response (check ``active``)."""
        data = {"token": token}
        if token_type_hint:
            data["token_type_hint"] = token_type_hint
        return self._post("introspection_endpoint", data, "introspection")

    def revoke(self, token: str, token_type_hint: str | None = None) -> None:
        """RFC 7009 revocation (revoking a refresh token ends its whole family)."""
        data = {"token": token}
        if token_type_hint:
            data["token_type_hint"] = token_type_hint
        self._post("revocation_endpoint", data, "revocation", expect_json=False)

    # -- internals ----------------------------------------------------------------

    def _token_request(self, data: dict[str, Any]) -> dict[str, Any]:
        body = self._post("token_endpoint", data, "token")
        if not isinstance(body.get("access_token"), str):
            raise TokenRequestError("invalid_response", "token response has no access_token")
        return body

    def _post(self, endpoint: str, data: dict[str, Any], what: str, expect_json: bool = True) -> dict[str, Any]:
        cfg = self.config
        form, auth = client_auth(data, cfg.client_id, cfg.client_secret, cfg.auth_method)
        return post_form(
            self.http,
            self.discovery.endpoint(endpoint),
            form,
            auth=auth,
            timeout=cfg.http_timeout,
            what=what,
            expect_json=expect_json,
        )
