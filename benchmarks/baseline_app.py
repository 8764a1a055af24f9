"""The baseline: a bare FastAPI app whose one endpoint runs `SELECT 1` through an async
SQLAlchemy session, served by uvicorn with the settings the rendered project's `serve` uses
(one worker, proxy headers; uvicorn's own access log, one line per request like the service's).

Run with the rendered project's interpreter, so both use the same FastAPI, SQLAlchemy,
asyncpg and uvicorn: `python baseline_app.py --port 8001 --database-url postgresql+asyncpg://...`.
"""

import argparse
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import uvicorn
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine


def create_app(database_url: str, pool_size: int, max_overflow: int) -> FastAPI:
    # The benchmark passes the service's own pool defaults, so only the code differs.
    engine = create_async_engine(database_url, pool_size=pool_size, max_overflow=max_overflow)
    sessions = async_sessionmaker(engine, expire_on_commit=False)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        await engine.dispose()

    app = FastAPI(lifespan=lifespan)

    @app.get("/select-1")
    async def select_1() -> dict[str, int]:
        async with sessions() as session:
            value = await session.scalar(text("SELECT 1"))
        return {"value": int(value)}

    @app.get("/health/ready")
    async def ready() -> dict[str, str]:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
        return {"status": "ok"}

    return app


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--pool-size", type=int, required=True)
    parser.add_argument("--max-overflow", type=int, required=True)
    args = parser.parse_args()
    uvicorn.run(
        create_app(args.database_url, args.pool_size, args.max_overflow),
        host=args.host,
        port=args.port,
        workers=1,
        proxy_headers=True,
    )


if __name__ == "__main__":
    main()
