"""Request and response bodies of /v1/auth."""

import re
from datetime import datetime
from typing import Annotated, Literal, Self
from uuid import UUID

from email_validator import SPECIAL_USE_DOMAIN_NAMES
from pydantic import BaseModel, EmailStr, Field, model_validator
from pydantic.json_schema import SkipJsonSchema

# Generous caps on what a request may carry; the password policy sets the real limits.
MAX_PASSWORD = 4096
MAX_TOKEN = 512

Password = Field(min_length=1, max_length=MAX_PASSWORD)


def _outside_special_use_domains() -> str:
    """A JSON Schema pattern for what email-validator also refuses: an address at a
    special-use domain (RFC 6761: `.test`, `.local`, `localhost`, ...), in any case."""
    names = "|".join(
        "".join(f"[{c.lower()}{c.upper()}]" if c.isalpha() else re.escape(c) for c in name)
        for name in SPECIAL_USE_DOMAIN_NAMES
    )
    return rf"^(?!.*@(?:[^@]*\.)?(?:{names})\.?$)"


Email = Annotated[EmailStr, Field(json_schema_extra={"pattern": _outside_special_use_domains()})]


def _same(first: str, second: str, names: str) -> None:
    """A typo in the password a user cannot see would lock them out: both must agree."""
    if first != second:
        raise ValueError(f"{names} differ")


class RegisterRequest(BaseModel):
    email: Email
    password: str = Password
    confirm_password: str = Password

    @model_validator(mode="after")
    def _passwords_match(self) -> Self:
        _same(self.password, self.confirm_password, "password and confirm_password")
        return self


class LoginRequest(BaseModel):
    email: str = Field(min_length=1, max_length=320)
    password: str = Password


class TokenForm(BaseModel):
    """An OAuth 2.0 token request: the password grant (RFC 6749 §4.3.2) needs `username` (the
    email) and `password`, the refresh grant (§6) `refresh_token`. A client of this server
    is public (RFC 6749 §2.1): `client_id` may be sent and is not checked; no scopes exist."""

    grant_type: Literal["password", "refresh_token"]
    username: str | SkipJsonSchema[None] = Field(default=None, min_length=1, max_length=320)
    password: str | SkipJsonSchema[None] = Field(
        default=None, min_length=1, max_length=MAX_PASSWORD
    )
    refresh_token: str | SkipJsonSchema[None] = Field(
        default=None, min_length=1, max_length=MAX_TOKEN
    )
    scope: str | SkipJsonSchema[None] = Field(default=None, max_length=MAX_TOKEN)
    client_id: str | SkipJsonSchema[None] = Field(default=None, max_length=MAX_TOKEN)


class TokenResponse(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int
    refresh_token: str
    refresh_expires_in: int


class MfaRequiredResponse(BaseModel):
    """The password was right and the account has a second factor: send a code with the
    token to /v1/auth/login/mfa within `expires_in` seconds."""

    mfa_required: bool = True  # always true; absent from a login that gave tokens
    mfa_token: str
    expires_in: int


# A code from an authenticator app (6 digits) or a recovery code (xxxx-xxxx-xxxx).
Code = Field(min_length=1, max_length=64)


class MfaLoginRequest(BaseModel):
    mfa_token: str = Field(min_length=1, max_length=MAX_TOKEN)
    code: str = Code


class PasswordRequest(BaseModel):
    password: str = Password


class CodeRequest(BaseModel):
    code: str = Code


class PasswordAndCodeRequest(BaseModel):
    password: str = Password
    code: str = Code


class TotpSetupResponse(BaseModel):
    """Show `otpauth_uri` as a QR code, or `secret` for typing in; then confirm a code."""

    secret: str
    otpauth_uri: str


class RecoveryCodesResponse(BaseModel):
    """Each works once in place of a code from the app; shown only this once."""

    recovery_codes: list[str]


class RefreshRequest(BaseModel):
    refresh_token: str | None = Field(default=None, min_length=1, max_length=MAX_TOKEN)


class EmailRequest(BaseModel):
    email: Email


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


class JsonWebKey(BaseModel):
    """An Ed25519 public key (RFC 8037) that verifies access tokens."""

    kty: Literal["OKP"]
    crv: Literal["Ed25519"]
    x: str
    kid: str
    use: Literal["sig"]
    alg: Literal["EdDSA"]


class JsonWebKeySet(BaseModel):
    """RFC 7517 §5."""

    keys: list[JsonWebKey]


class AuthorizationServerMetadata(BaseModel):
    """RFC 8414 §2: where clients get tokens and verifiers the keys that check them."""

    issuer: str
    token_endpoint: str
    jwks_uri: str | SkipJsonSchema[None] = None
    grant_types_supported: list[Literal["password", "refresh_token"]]
    # No authorization endpoint, so no response types; public clients only.
    response_types_supported: list[str]
    token_endpoint_auth_methods_supported: list[Literal["none"]]


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
