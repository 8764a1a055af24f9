"""Single-use tokens mailed to the account holder: verify an address, reset a password,
confirm a new address."""

from enum import StrEnum


class TokenPurpose(StrEnum):
    VERIFY_EMAIL = "verify_email"
    RESET_PASSWORD = "reset_password"
    CHANGE_EMAIL = "change_email"
