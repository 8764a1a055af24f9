"""How other modules learn who is calling: they hand over the bearer token and get an
`Identity`, without knowing anything about accounts, sessions or JWTs."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol
from uuid import UUID


@dataclass(frozen=True)
class Identity:
    account_id: UUID
    email: str
    is_superuser: bool
    is_verified: bool


class IdentityProvider(Protocol):
    async def identify(self, access_token: str) -> Identity:
        """The identity behind a valid access token of a live session and an active account;
        raises an `AuthenticationError` (HTTP 401) otherwise."""
        ...

    async def find(self, account_id: UUID) -> Identity | None:
        """The identity of an account by id, or None if there is no such account."""
        ...


class AccountDirectory(Protocol):
    async def registered(self, after: UUID | None, limit: int) -> Sequence[Identity]:
        """At most `limit` accounts in the order of their ids, from the first (`after` None)
        or after the id `after`: for a module added to a project that has accounts already,
        whose registrations it never heard of."""
        ...
