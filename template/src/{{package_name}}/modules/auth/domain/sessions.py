"""Login sessions and their refresh tokens.

A session is a refresh-token family: every refresh rotates the token, and presenting a token
that was already rotated means it leaked, so the whole session is revoked. Access tokens
name their session, so revoking a session also ends its access tokens at once.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from uuid import UUID

# What a session remembers of the client that opened it, for its owner to recognise it.
MAX_CLIENT_ADDRESS = 64
MAX_USER_AGENT = 255


class RevocationReason(StrEnum):
    LOGOUT = "logout"
    LOGOUT_ALL = "logout_all"
    TOKEN_REUSE = "token_reuse"
    PASSWORD_CHANGED = "password_changed"
    PASSWORD_RESET = "password_reset"
    SECOND_FACTOR_CHANGED = "second_factor_changed"  # turned on or off by the owner
    SECOND_FACTOR_RESET = "second_factor_reset"  # turned off by an administrator
    ACCOUNT_DEACTIVATED = "account_deactivated"
    ENDED = "ended"  # by its owner, from the list of sessions
    ENDED_BY_ADMIN = "ended_by_admin"


@dataclass(frozen=True)
class SessionLifetime:
    idle: timedelta  # a refresh token unused for this long expires
    absolute: timedelta  # no session outlives this, however active

    def token_expiry(self, now: datetime, session_expires_at: datetime) -> datetime:
        return min(now + self.idle, session_expires_at)


def client_detail(value: str | None, limit: int) -> str | None:
    """A client-supplied detail as a session keeps it: printable, bounded, None if empty."""
    if value is None:
        return None
    kept = "".join(char for char in value if char.isprintable()).strip()[:limit]
    return kept or None


@dataclass(frozen=True)
class Session:
    id: UUID
    account_id: UUID
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    client_address: str | None = None
    user_agent: str | None = None

    def is_live(self, now: datetime) -> bool:
        return self.revoked_at is None and now < self.expires_at
