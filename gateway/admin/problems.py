"""Admin errors. The API turns them into application/problem+json (RFC 9457), the console into pages."""

from __future__ import annotations


class AdminError(Exception):
    status = 400
    title = "Bad request"

    def __init__(self, detail: str = "", errors: list[str] | None = None):
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        self.errors = errors or []


class Invalid(AdminError):
    status, title = 422, "Validation failed"


class NotFound(AdminError):
    status, title = 404, "Not found"


class Forbidden(AdminError):
    status, title = 403, "Forbidden for this admin role"


class ReauthRequired(AdminError):
    status, title = 401, "Re-authentication required"


class Conflict(AdminError):
    status, title = 409, "Conflict"


class PreconditionFailed(AdminError):
    status, title = 412, "Modified by someone else"


class PreconditionRequired(AdminError):
    status, title = 428, "If-Match required"
