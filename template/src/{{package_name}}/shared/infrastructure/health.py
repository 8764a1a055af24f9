import asyncio

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

CHECK_TIMEOUT_SECONDS = 2.0


class DatabaseHealthCheck:
    name = "database"

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def check(self) -> None:
        async with asyncio.timeout(CHECK_TIMEOUT_SECONDS), self._engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
