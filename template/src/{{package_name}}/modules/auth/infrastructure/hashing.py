"""argon2id password hashing (argon2-cffi), off the event loop and with bounded concurrency.

Each hash takes `memory_kib` of memory and tens of milliseconds of CPU; running them in worker
threads keeps the server answering, and the semaphore keeps a login storm from multiplying
the memory (argon2-cffi releases the GIL while hashing).
"""

import asyncio
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
        self._slots = asyncio.Semaphore(concurrency)

    async def hash(self, password: str) -> str:
        async with self._slots:
            return await asyncio.to_thread(self._argon2.hash, password)

    async def verify(self, password_hash: str, password: str) -> bool:
        async with self._slots:
            return await asyncio.to_thread(self._check, password_hash, password)

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
