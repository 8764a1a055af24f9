"""Database chores of the benchmark, run with the rendered project's interpreter (it has
asyncpg): `python db_helper.py verify|watch|drop ...`. The benchmark itself needs nothing
beyond the template's development environment."""

import asyncio
import sys

import asyncpg  # type: ignore[import-untyped]


async def verify(dsn: str, email: str) -> None:
    """Mark an account's address verified (the benchmark reads no email)."""
    connection = await asyncpg.connect(dsn)
    try:
        status = await connection.execute(
            "UPDATE auth_accounts SET is_verified = true WHERE email = $1", email
        )
    finally:
        await connection.close()
    if status != "UPDATE 1":
        raise SystemExit(f"no account {email}: {status}")


async def watch(admin_dsn: str, database: str) -> None:
    """Count the connections to `database` every 50 ms until standard input closes; print
    the highest count (and the last one) as `CONNECTIONS <max> <last>`."""
    connection = await asyncpg.connect(admin_dsn)
    loop = asyncio.get_running_loop()
    closed = loop.run_in_executor(None, sys.stdin.read)
    query = "SELECT count(*) FROM pg_stat_activity WHERE datname = $1"
    highest = last = 0
    try:
        while not closed.done():
            last = await connection.fetchval(query, database)
            highest = max(highest, last)
            await asyncio.wait({closed}, timeout=0.05)
    finally:
        await connection.close()
    print(f"CONNECTIONS {highest} {last}", flush=True)


async def create(admin_dsn: str, database: str) -> None:
    connection = await asyncpg.connect(admin_dsn)
    try:
        await connection.execute(f'CREATE DATABASE "{database}"')
    finally:
        await connection.close()


async def drop(admin_dsn: str, database: str) -> None:
    connection = await asyncpg.connect(admin_dsn)
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    finally:
        await connection.close()


def main() -> None:
    command, *args = sys.argv[1:]
    actions = {"verify": verify, "watch": watch, "create": create, "drop": drop}
    asyncio.run(actions[command](*args))


if __name__ == "__main__":
    main()
