"""Readiness checks: each names a dependency the service cannot work without."""

from typing import Protocol


class HealthCheck(Protocol):
    name: str

    async def check(self) -> None:
        """Return when the dependency answers; raise otherwise."""
        ...
