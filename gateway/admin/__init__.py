"""Admin console (/admin) and admin REST API (/admin/api/v1), with 等保 separation of duties.

Layers: ``views_*`` (HTML) and ``api_*`` (JSON) are thin; ``ops_*`` hold every admin action, check
the actor's role and write the audit record, so the console and the API cannot drift apart.
"""

from __future__ import annotations

from types import SimpleNamespace


def register(app) -> None:
    """Register the console and API blueprints and the admin state (called by create_app)."""
    from ..crypto import derive_key
    from ..extensions import csrf
    from . import api_routes, openapi, views_auth, views_people, views_rp  # noqa: F401 - routes
    from .api import bp as api_bp
    from .console import bp as console_bp
    from .mfa import MfaStore

    svc = app.extensions["gateway"]
    settings = svc.settings
    app.extensions["gateway_admin"] = SimpleNamespace(
        mfa=MfaStore(svc.db, svc.cipher, derive_key(settings.secret_key.encode(), "admin recovery codes"),
                     settings.admin.totp_issuer, svc.clock))
    csrf.exempt(api_bp)  # bearer-token API: no cookies, no CSRF
    app.register_blueprint(api_bp)
    app.register_blueprint(console_bp)
