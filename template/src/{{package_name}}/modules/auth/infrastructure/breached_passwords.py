"""Breached passwords from a k-anonymity range API (the protocol of Have I Been Pwned's
Pwned Passwords): only the first five hex digits of the password's SHA-1 leave the service,
and the answer lists every known suffix with that prefix, padded with zero-count decoys."""

import asyncio
import hashlib
import logging
import urllib.error
import urllib.request
from dataclasses import dataclass

logger = logging.getLogger(__name__)

# A real answer is a few hundred lines (~30 KiB, ~40 KiB padded); more is not this protocol.
MAX_RESPONSE_BYTES = 1024 * 1024


class NoBreachedPasswords:
    """The range API is off (the default): no password is known from a breach."""

    async def is_breached(self, password: str) -> bool:
        del password
        return False


@dataclass(frozen=True)
class RangeApiBreachedPasswords:
    base_url: str  # the prefix is appended, e.g. https://api.pwnedpasswords.com/range/
    timeout: float
    user_agent: str

    async def is_breached(self, password: str) -> bool:
        # SHA-1 is the protocol's choice; it only names a bucket, it protects nothing here.
        sha1 = hashlib.sha1(password.encode(), usedforsecurity=False).hexdigest().upper()
        prefix, suffix = sha1[:5], sha1[5:]
        try:
            body = await asyncio.to_thread(self._fetch, prefix)
        except (OSError, ValueError) as error:
            # Fail open: an outage of a third party must not stop registrations and resets.
            logger.warning(
                "breached-password check unavailable", extra={"error": type(error).__name__}
            )
            return False
        for line in body.splitlines():
            candidate, _, count = line.partition(":")
            if candidate.strip().upper() == suffix:
                return count.strip().isdigit() and int(count) > 0
        return False

    def _fetch(self, prefix: str) -> str:
        request = urllib.request.Request(  # noqa: S310 - the URL is a validated http(s) setting
            self.base_url + prefix,
            headers={"Add-Padding": "true", "User-Agent": self.user_agent},
        )
        with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
            body: bytes = response.read(MAX_RESPONSE_BYTES + 1)
        if len(body) > MAX_RESPONSE_BYTES:
            raise ValueError("range answer too large")
        return body.decode("ascii")
