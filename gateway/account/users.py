"""Flask-Login's view of the signed-in person, rebuilt from the SSO principal in the session."""

from __future__ import annotations

from flask import session
from flask_login import UserMixin


class SessionUser(UserMixin):
    def __init__(self, principal: dict):
        self.principal = principal
        self.id = principal["user_id"]
        self.name = principal.get("name", "")
        self.roles = tuple(principal.get("roles") or ())

    def get_id(self) -> str:
        return self.id


def load_user(user_id: str) -> SessionUser | None:
    """Flask-Login's user_loader: never raises, None when the principal is gone or differs."""
    principal = session.get("principal")
    if not principal or principal.get("user_id") != user_id:
        return None
    return SessionUser(principal)
