"""The error hierarchy every layer raises; the API maps each category to one HTTP status.

`code` is the stable, machine-readable name a client sees; messages are for people and must
not reveal more than the client may know (no internal names, no other users' data).
"""

from typing import ClassVar


class DomainError(Exception):
    """A business rule refused the request (HTTP 400 unless a subclass says otherwise)."""

    code: ClassVar[str] = "rule_violation"
    default_message: ClassVar[str] = "The request breaks a business rule."

    def __init__(self, message: str | None = None) -> None:
        self.message = message or self.default_message
        super().__init__(self.message)


class InvalidValueError(DomainError):
    """A value failed validation (HTTP 422)."""

    code = "invalid_value"
    default_message = "A value is not valid."


class NotFoundError(DomainError):
    """HTTP 404."""

    code = "not_found"
    default_message = "The resource does not exist."


class ConflictError(DomainError):
    """The state of the system does not allow it, for example a taken unique value (HTTP 409)."""

    code = "conflict"
    default_message = "The request conflicts with the current state."


class AuthenticationError(DomainError):
    """Missing, invalid or expired credentials (HTTP 401)."""

    code = "not_authenticated"
    default_message = "Authentication is required."


class PermissionDeniedError(DomainError):
    """Authenticated but not allowed (HTTP 403)."""

    code = "permission_denied"
    default_message = "You are not allowed to do this."


class RateLimitedError(DomainError):
    """Too many attempts (HTTP 429 with Retry-After)."""

    code = "rate_limited"
    default_message = "Too many attempts; try again later."

    def __init__(self, retry_after_seconds: int, message: str | None = None) -> None:
        super().__init__(message)
        self.retry_after_seconds = max(1, retry_after_seconds)


class OverloadedError(DomainError):
    """Too much work is waiting already; shed, not queued (HTTP 503 with Retry-After)."""

    code = "overloaded"
    default_message = "The service is busy; try again shortly."

    def __init__(self, retry_after_seconds: int = 1, message: str | None = None) -> None:
        super().__init__(message)
        self.retry_after_seconds = max(1, retry_after_seconds)
