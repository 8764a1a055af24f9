"""Single-statement reads outside any unit of work, for the hottest query paths.

A read through the request's ORM session opens a transaction (BEGIN, the query, ROLLBACK:
three round trips) and loads ORM objects. One SELECT is consistent on its own, so
`DatabaseReader` runs it on a pooled connection in autocommit mode (one round trip on
PostgreSQL) and returns plain rows. Queries that need several statements to agree, and
everything that writes, go through the unit of work.
"""

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Executable, Row
from sqlalchemy.ext.asyncio import AsyncEngine


class DatabaseReader:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def first(
        self, statement: Executable, parameters: Mapping[str, Any] | None = None
    ) -> Row[Any] | None:
        async with self._engine.connect() as connection:
            result = await connection.execute(statement, parameters)
            return result.first()
