"""Readiness checks: each names a dependency the service cannot work without."""

import asyncio
from dataclasses import dataclass
from typing import ClassVar, Protocol

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

CHECK_TIMEOUT_SECONDS = 2.0


class HealthCheck(Protocol):
    name: ClassVar[str]

    async def check(self) -> None:
        """Return when the dependency answers; raise otherwise."""
        ...


@dataclass(frozen=True)
class DatabaseHealthCheck:
    name: ClassVar[str] = "database"
    engine: AsyncEngine

    async def check(self) -> None:
        async with asyncio.timeout(CHECK_TIMEOUT_SECONDS), self.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
