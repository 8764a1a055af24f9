"""Single-statement reads outside any unit of work, for the query side.

A read through the request's ORM session opens a transaction (BEGIN, the query, ROLLBACK)
and loads ORM objects. One SELECT is consistent on its own, so `DatabaseReader` runs it on a
pooled connection (in autocommit mode where the database allows) and returns plain dicts,
which a query turns into its view. Reads that must agree with each other, and everything
that writes, go through the unit of work.
"""

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Executable
from sqlalchemy.ext.asyncio import AsyncEngine


class DatabaseReader:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def first(
        self, statement: Executable, parameters: Mapping[str, Any] | None = None
    ) -> dict[str, Any] | None:
        """The first row as a dict, or None."""
        async with self._engine.connect() as connection:
            row = (await connection.execute(statement, parameters)).first()
            return None if row is None else row._asdict()

    async def all(
        self, statement: Executable, parameters: Mapping[str, Any] | None = None
    ) -> list[dict[str, Any]]:
        async with self._engine.connect() as connection:
            result = await connection.execute(statement, parameters)
            return [row._asdict() for row in result]

    async def scalar(
        self, statement: Executable, parameters: Mapping[str, Any] | None = None
    ) -> Any:
        async with self._engine.connect() as connection:
            return await connection.scalar(statement, parameters)
