"""argon2id password hashing (argon2-cffi), off the event loop and with bounded concurrency.

Each hash takes `memory_kib` of memory and tens of milliseconds of CPU. They run in a thread
pool of their own with `concurrency` threads (argon2-cffi releases the GIL while hashing), so
the event loop keeps answering during a login storm, a storm queues instead of multiplying
the memory, and only that many threads ever hold an argon2-sized block of the allocator
(the default executor's threads would each keep one).
"""

import asyncio
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from argon2 import PasswordHasher as Argon2
from argon2 import Type
from argon2.exceptions import InvalidHashError, VerificationError


@dataclass(frozen=True)
class Argon2Parameters:
    time_cost: int
    memory_kib: int
    parallelism: int


class Argon2PasswordHasher:
    def __init__(self, parameters: Argon2Parameters, concurrency: int) -> None:
        self._argon2 = Argon2(
            time_cost=parameters.time_cost,
            memory_cost=parameters.memory_kib,
            parallelism=parameters.parallelism,
            type=Type.ID,
        )
        self._pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="argon2")

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)

    # A request cancelled while its hash is queued (its client left) never starts it.
    async def hash(self, password: str) -> str:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, self._argon2.hash, password)

    async def verify(self, password_hash: str, password: str) -> bool:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, self._check, password_hash, password)

    async def verify_dummy(self, password: str) -> None:
        # Verifying recomputes the hash with the same parameters, so hashing costs the same.
        await self.hash(password)

    def needs_rehash(self, password_hash: str) -> bool:
        try:
            return self._argon2.check_needs_rehash(password_hash)
        except InvalidHashError:
            return True

    def _check(self, password_hash: str, password: str) -> bool:
        try:
            return self._argon2.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False
