"""The transaction boundary of a use case.

    async with uow:
        account = await accounts.get(account_id)
        account.verify()
        await uow.commit()

Leaving the block without `commit()` rolls everything back. `commit()` first dispatches the
domain events recorded by the aggregates the repositories handed out (their handlers join
the same transaction), then commits, so a use case and its side effects land together.
"""

from types import TracebackType
from typing import Protocol, Self


class UnitOfWork(Protocol):
    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None: ...

    async def commit(self) -> None: ...

    async def rollback(self) -> None: ...
