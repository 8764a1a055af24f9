"""Opaque tokens: 256 random bits for the holder, only their SHA-256 digest for the database.

A plain hash is enough (no salt, no stretching) because the token is random, not chosen by a
person: nobody can guess it from its digest.
"""

import hashlib
import secrets

TOKEN_BYTES = 32


def new_token() -> tuple[str, str]:
    """A fresh token and its digest."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    return token, digest(token)


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
