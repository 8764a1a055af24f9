"""Single-use tokens of an account holder: mailed to verify an address, reset a password or
confirm a new address, or handed to the client between a login's password and its second
factor."""

from enum import StrEnum


class TokenPurpose(StrEnum):
    VERIFY_EMAIL = "verify_email"
    RESET_PASSWORD = "reset_password"
    CHANGE_EMAIL = "change_email"
    MFA_LOGIN = "mfa_login"
