"""``/.well-known/openid-configuration``, built once per app from the settings."""

from __future__ import annotations

import json

from .acr import ACR_VALUES, LOCAL_ACR, STAFF_ACR
from .claims import CLAIMS_SUPPORTED, SCOPES_SUPPORTED


def metadata(issuer: str) -> dict:
    auth_methods = ["client_secret_basic", "client_secret_post", "private_key_jwt", "none"]
    return {
        "issuer": issuer,
        "authorization_endpoint": f"{issuer}/authorize",
        "token_endpoint": f"{issuer}/token",
        "userinfo_endpoint": f"{issuer}/userinfo",
        "jwks_uri": f"{issuer}/jwks",
        "end_session_endpoint": f"{issuer}/logout",
        "introspection_endpoint": f"{issuer}/introspect",
        "revocation_endpoint": f"{issuer}/revoke",
        "scopes_supported": list(SCOPES_SUPPORTED),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials"],
        "subject_types_supported": ["public", "pairwise"],
        "id_token_signing_alg_values_supported": ["RS256", "ES256"],
        "userinfo_signing_alg_values_supported": [],
        "token_endpoint_auth_methods_supported": auth_methods,
        "token_endpoint_auth_signing_alg_values_supported": ["RS256", "ES256"],
        "introspection_endpoint_auth_methods_supported": auth_methods[:3],
        "revocation_endpoint_auth_methods_supported": auth_methods,
        "code_challenge_methods_supported": ["S256"],
        "claims_supported": list(CLAIMS_SUPPORTED),
        "claims_parameter_supported": False,
        "request_parameter_supported": False,
        "request_uri_parameter_supported": False,
        "acr_values_supported": [*ACR_VALUES, STAFF_ACR, LOCAL_ACR],
        "prompt_values_supported": ["none", "login", "consent"],
        "ui_locales_supported": ["zh-CN", "en"],
        "authorization_response_iss_parameter_supported": True,
        "backchannel_logout_supported": True,
        "backchannel_logout_session_supported": True,
        "frontchannel_logout_supported": True,
        "frontchannel_logout_session_supported": True,
    }


def metadata_json(issuer: str) -> bytes:
    return json.dumps(metadata(issuer), separators=(",", ":")).encode()
