"""Single-statement reads outside any unit of work, for the hottest query paths.

A read through the request's ORM session opens a transaction (BEGIN, the query, ROLLBACK:
three round trips) and loads ORM objects. One SELECT is consistent on its own, so
`DatabaseReader` runs it on a pooled connection in autocommit mode (one round trip on
PostgreSQL) and returns a plain mapping. Queries that need several statements to agree, and
everything that writes, go through the unit of work.

On PostgreSQL a SELECT is compiled once and sent through the pooled connection's asyncpg
driver itself: SQLAlchemy's per-execution machinery (execution context, result objects, the
greenlet bridge) cost about three times the driver's own work on these reads
(docs/performance.md). The pool is still SQLAlchemy's, so connections stay bounded and
shared with the unit of work, and every value still passes through its column type's bind
and result processing. What SQLAlchemy adds around execution is absent on that path: its
events (and instrumentation built on them) do not see these reads, and errors are asyncpg's.
"""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Executable, Select
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.util import greenlet_spawn

type Processor = Callable[[Any], Any] | None


@dataclass(frozen=True, slots=True)
class _Compiled:
    statement: Executable  # held so that its id, the cache key, is never reused
    sql: str
    parameters: Sequence[str]  # bound parameter names, in positional order
    defaults: Mapping[str, Any]  # values the statement carries itself
    bind: Mapping[str, Callable[[Any], Any]]
    result: Sequence[Processor]  # one per selected column, in order

    def arguments(self, parameters: Mapping[str, Any]) -> list[Any]:
        values = {**self.defaults, **parameters}
        return [
            self.bind[name](values[name]) if name in self.bind else values[name]
            for name in self.parameters
        ]

    def row(self, record: Any) -> dict[str, Any]:
        return {
            key: value if process is None else process(value)
            for (key, value), process in zip(record.items(), self.result, strict=True)
        }


def _compile(statement: Executable, dialect: Dialect) -> _Compiled | None:
    """The statement as SQL for the driver, or None when only SQLAlchemy can run it (not a
    SELECT, or parameters expanded per execution such as `IN` lists)."""
    if not isinstance(statement, Select):
        return None
    compiled = statement.compile(dialect=dialect)
    binds = compiled.binds  # by the names the SQL uses (anonymous ones get one, too)
    if compiled.positiontup is None or any(bind.expanding for bind in binds.values()):
        return None
    processors = {
        name: bind.type.dialect_impl(dialect).bind_processor(dialect)
        for name, bind in binds.items()
    }
    return _Compiled(
        statement=statement,
        sql=compiled.string,
        parameters=tuple(compiled.positiontup),
        defaults={name: bind.value for name, bind in binds.items() if not bind.required},
        bind={key: process for key, process in processors.items() if process is not None},
        result=[
            column.type.dialect_impl(dialect).result_processor(dialect, None)
            for column in statement.selected_columns
        ],
    )


class DatabaseReader:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._native = engine.dialect.driver == "asyncpg"
        self._compiled: dict[int, _Compiled | None] = {}

    async def first(
        self, statement: Executable, parameters: Mapping[str, Any] | None = None
    ) -> dict[str, Any] | None:
        compiled = self._compiled_for(statement) if self._native else None
        if compiled is not None:
            return await self._fetch_native(compiled, parameters or {})
        async with self._engine.connect() as connection:
            row = (await connection.execute(statement, parameters)).first()
            return None if row is None else row._asdict()

    async def _fetch_native(
        self, compiled: _Compiled, parameters: Mapping[str, Any]
    ) -> dict[str, Any] | None:
        # The pool's own connection, without an SQLAlchemy Connection around it: asyncpg
        # runs outside a transaction unless told otherwise, so this is one round trip.
        connection = await self._engine.raw_connection()
        try:
            driver: Any = connection.driver_connection  # asyncpg's Connection
            record = await driver.fetchrow(compiled.sql, *compiled.arguments(parameters))
        except BaseException as error:
            # Failed or cancelled mid-protocol: the pool replaces it rather than reuse it.
            connection.invalidate(error, soft=True)
            raise
        finally:
            await greenlet_spawn(connection.close)  # back to the pool
        return None if record is None else compiled.row(record)

    def _compiled_for(self, statement: Executable) -> _Compiled | None:
        # Hot paths pass module-level statements, compiled once; the bound keeps a caller that
        # builds a statement per call from growing the cache without end.
        key = id(statement)
        if key not in self._compiled:
            if len(self._compiled) >= 256:
                self._compiled.clear()
            self._compiled[key] = _compile(statement, self._engine.dialect)
        return self._compiled[key]
