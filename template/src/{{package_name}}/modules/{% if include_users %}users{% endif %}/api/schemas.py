"""Request and response bodies of /v1/users."""

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel, Field


class ProfileResponse(BaseModel):
    id: UUID
    account_id: UUID
    display_name: str
    bio: str | None
    email: str | None = Field(description="From the auth module; null if the account is gone")
    created_at: datetime
    updated_at: datetime


class ProfilePage(BaseModel):
    items: list[ProfileResponse]
    total: int
    limit: int
    offset: int


class ProfileUpdate(BaseModel):
    """Only the fields sent change; `bio: null` clears the bio."""

    display_name: str | None = Field(default=None, min_length=3, max_length=32)
    bio: str | None = Field(default=None, max_length=500)
