"""Background workers (the outbox relay, broker consumers) run beside the web server."""

import asyncio
import contextlib
import logging
from typing import Protocol

logger = logging.getLogger(__name__)

STOP_TIMEOUT_SECONDS = 10.0


class BackgroundWorker(Protocol):
    async def run(self) -> None:
        """Work until `stop()` is called."""
        ...

    def stop(self) -> None: ...


class WorkerGroup:
    def __init__(self, workers: list[BackgroundWorker]) -> None:
        self._workers = workers
        self._tasks: list[asyncio.Task[None]] = []

    def joined(self, *workers: BackgroundWorker) -> "WorkerGroup":
        """This group with more workers, such as one a platform feature brings."""
        return WorkerGroup([*self._workers, *workers])

    async def start(self) -> None:
        self._tasks = [
            asyncio.create_task(worker.run(), name=type(worker).__name__)
            for worker in self._workers
        ]

    async def stop(self) -> None:
        for worker in self._workers:
            worker.stop()
        if not self._tasks:
            return
        _, pending = await asyncio.wait(self._tasks, timeout=STOP_TIMEOUT_SECONDS)
        for task in pending:
            logger.warning(
                "worker did not stop in time; cancelling", extra={"worker": task.get_name()}
            )
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []
