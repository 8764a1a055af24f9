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


def create_app(database_url: str) -> FastAPI:
    # The service's pool defaults (DATABASE__POOL_SIZE=10, DATABASE__MAX_OVERFLOW=10).
    engine = create_async_engine(database_url, pool_size=10, max_overflow=10)
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
    args = parser.parse_args()
    uvicorn.run(
        create_app(args.database_url),
        host=args.host,
        port=args.port,
        workers=1,
        proxy_headers=True,
    )


if __name__ == "__main__":
    main()
