"""Request and response bodies of /v1/auth."""

from datetime import datetime
from typing import Literal, Self
from uuid import UUID

from pydantic import BaseModel, EmailStr, Field, model_validator

# Generous caps on what a request may carry; the password policy sets the real limits.
MAX_PASSWORD = 4096
MAX_TOKEN = 512

Password = Field(min_length=1, max_length=MAX_PASSWORD)


def _same(first: str, second: str, names: str) -> None:
    """A typo in the password a user cannot see would lock them out: both must agree."""
    if first != second:
        raise ValueError(f"{names} differ")


class RegisterRequest(BaseModel):
    email: EmailStr
    password: str = Password
    confirm_password: str = Password

    @model_validator(mode="after")
    def _passwords_match(self) -> Self:
        _same(self.password, self.confirm_password, "password and confirm_password")
        return self


class LoginRequest(BaseModel):
    email: str = Field(min_length=1, max_length=320)
    password: str = Password


class TokenResponse(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int
    refresh_token: str
    refresh_expires_in: int


class RefreshRequest(BaseModel):
    refresh_token: str | None = Field(default=None, min_length=1, max_length=MAX_TOKEN)


class EmailRequest(BaseModel):
    email: EmailStr


class TokenRequest(BaseModel):
    token: str = Field(min_length=1, max_length=MAX_TOKEN)


class NewPassword(BaseModel):
    new_password: str = Password
    confirm_new_password: str = Password

    @model_validator(mode="after")
    def _passwords_match(self) -> Self:
        _same(self.new_password, self.confirm_new_password, "new_password and confirm_new_password")
        return self


class ResetPasswordRequest(NewPassword):
    token: str = Field(min_length=1, max_length=MAX_TOKEN)


class ChangeEmailRequest(BaseModel):
    new_email: EmailStr
    password: str = Password


class ChangePasswordRequest(NewPassword):
    old_password: str = Password


class AccountResponse(BaseModel):
    id: UUID
    email: str
    is_verified: bool
    is_superuser: bool
    created_at: datetime


class RegisteredResponse(BaseModel):
    account_id: UUID


class MessageResponse(BaseModel):
    message: str


class SessionResponse(BaseModel):
    id: UUID
    created_at: datetime
    last_used_at: datetime  # the last login or refresh of the session
    client_address: str | None
    user_agent: str | None
    current: bool  # the session of the access token that asked


class SessionsEndedResponse(BaseModel):
    sessions_ended: int


class AuditEventResponse(BaseModel):
    id: int
    occurred_at: datetime
    type: str
    account_id: UUID | None
    client_address: str | None
    user_agent: str | None
    detail: str | None


class AuditPageResponse(BaseModel):
    events: list[AuditEventResponse]
    next_before: int | None  # pass as `before` for the next page; null: the last page
