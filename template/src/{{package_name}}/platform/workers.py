"""Background workers (the outbox relay, broker consumers, the purges) run beside the web
server."""

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from typing import Any, Protocol

from dishka import AsyncContainer

logger = logging.getLogger(__name__)

STOP_TIMEOUT_SECONDS = 10.0
PURGE_INTERVAL_SECONDS = 3600.0
MAX_ERROR_LENGTH = 500


class FailureLog:
    """Logs the failures of a worker's rounds once per change of state.

    A worker that polls a lost database fails every round; a traceback each time would bury
    everything else. The first failure of a kind is logged with its traceback, repeats of
    it are not, and the first round that succeeds again says how many failed in between.
    """

    def __init__(self, logger: logging.Logger, worker: str) -> None:
        self._logger = logger
        self._worker = worker
        self._failing: type[BaseException] | None = None
        self._failed_rounds = 0

    def failed(self, error: BaseException) -> None:
        self._failed_rounds += 1
        if type(error) is self._failing:
            return
        self._failing = type(error)
        self._logger.error(
            "worker failing; logged again when it recovers or fails otherwise",
            exc_info=error,
            extra={
                "worker": self._worker,
                "error": f"{type(error).__name__}: {error}"[:MAX_ERROR_LENGTH],
            },
        )

    def succeeded(self) -> None:
        if self._failing is None:
            return
        self._logger.info(
            "worker recovered",
            extra={"worker": self._worker, "failed_rounds": self._failed_rounds},
        )
        self._failing = None
        self._failed_rounds = 0


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


class Purge(Protocol):
    """Deletes the rows of a module that have outlived their use (`Module.purges`)."""

    async def purge(self) -> int:
        """Delete what is past its retention; returns how many rows went."""
        ...


@dataclass(frozen=True)
class Purges:
    """The purge classes of the modules this process runs, built by the container."""

    types: tuple[type[Any], ...]


class PurgeWorker:
    """Background worker: runs every module's purge at start-up, then every hour, so that
    tables of expiring rows (sessions, tokens, counters) stop growing."""

    def __init__(self, container: AsyncContainer, purges: Purges) -> None:
        self._container = container
        self._purges = purges
        self._stopping = asyncio.Event()
        self._failures = FailureLog(logger, "purge")

    async def run(self) -> None:
        while not self._stopping.is_set():
            try:
                await self.purge_once()
            except Exception as exc:
                self._failures.failed(exc)
            else:
                self._failures.succeeded()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(PURGE_INTERVAL_SECONDS):
                    await self._stopping.wait()

    async def purge_once(self) -> None:
        for kind in self._purges.types:
            purge: Purge = await self._container.get(kind)
            deleted = await purge.purge()
            if deleted:
                logger.info("rows purged", extra={"purge": kind.__name__, "rows": deleted})

    def stop(self) -> None:
        self._stopping.set()
