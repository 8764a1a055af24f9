"""CPU time per request of the service's hot paths, in-process, for tuning on a shared machine.

wrk's req/s moves with whatever else runs on the machine; the CPU time this process spends per
request does not (much). This drives the ASGI apps directly (no server, no sockets), 32 requests
at a time, and reports CPU microseconds per request with `time.process_time()`, for the
service and for the baseline app. `--profile` adds cProfile's top functions.

Run with a rendered project's interpreter, from its root (its `.env` is not read):

    DATABASE__URL=postgresql+asyncpg://postgres@127.0.0.1:5432/some_db \\
        .venv/bin/python /path/to/benchmarks/micro.py [--requests 3000] [--profile]

The database must exist (`<package> migrate` creates it); the script registers its own account.
"""

import argparse
import asyncio
import cProfile
import importlib
import json
import os
import pstats
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import asyncpg  # type: ignore[import-untyped]

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
PASSWORD = "a benchmark passphrase 1"

ASGIApp = Callable[[dict[str, Any], Any, Any], Awaitable[None]]


async def call(
    app: ASGIApp,
    method: str,
    path: str,
    body: bytes = b"",
    headers: list[tuple[bytes, bytes]] | None = None,
) -> tuple[int, bytes]:
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"bench"), (b"content-type", b"application/json"), *(headers or [])],
        "client": ("127.0.0.1", 40000),
        "server": ("127.0.0.1", 8000),
        "state": {},
    }
    sent = False
    status = 0
    chunks: list[bytes] = []

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        await asyncio.sleep(3600)
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await app(scope, receive, send)
    return status, b"".join(chunks)


async def measure(
    name: str,
    app: ASGIApp,
    method: str,
    path: str,
    headers: list[tuple[bytes, bytes]],
    n: int,
    profile: bool,
) -> float:
    async def one() -> None:
        status, body = await call(app, method, path, headers=headers)
        assert status == 200, (status, body)

    async def batch(count: int) -> None:
        for start in range(0, count, 32):
            await asyncio.gather(*(one() for _ in range(min(32, count - start))))

    await batch(min(n, 300))  # warm up: caches, prepared statements, the pool
    profiler = cProfile.Profile(time.process_time) if profile else None
    started = time.process_time()
    if profiler:
        profiler.enable()
    await batch(n)
    if profiler:
        profiler.disable()
    cpu = (time.process_time() - started) / n * 1e6
    print(f"{name:28} {cpu:7.0f} µs CPU per request", flush=True)
    if profiler:
        pstats.Stats(profiler).sort_stats(os.environ.get("MICRO_SORT", "tottime")).print_stats(25)
    return cpu


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--package", default="my_service")
    args = parser.parse_args()
    url = os.environ["DATABASE__URL"]
    main_module = importlib.import_module(f"{args.package}.main")
    container_module = importlib.import_module(f"{args.package}.container")
    settings = container_module.load_settings(
        _env_file=None,
        security={"secret_key": "micro-benchmark-secret-key-0123456789abcdef"},
        database={"url": url},
        log={"format": "json", "level": "INFO"},
    )
    import logging

    app = main_module.create_app(settings)
    # Log lines go nowhere here: the server's cost of writing them is in the wrk benchmark.
    logging.getLogger().handlers[0].stream = open(os.devnull, "w")  # noqa: SIM115, ASYNC230 - set up once, before timing
    import baseline_app

    database = url.rsplit("/", 1)[1]
    base = baseline_app.create_app(url, 20, 0)
    async with app.router.lifespan_context(app), base.router.lifespan_context(base):
        email = f"micro-{uuid.uuid4().hex[:8]}@example.com"
        credentials = json.dumps({"email": email, "password": PASSWORD}).encode()
        register = json.dumps(
            {"email": email, "password": PASSWORD, "confirm_password": PASSWORD}
        ).encode()
        status, _ = await call(app, "POST", "/v1/auth/register", register)
        assert status in (201, 202)
        connection = await asyncpg.connect(
            f"postgresql://{url.split('://', 1)[1].rsplit('/', 1)[0]}/{database}"
        )
        await connection.execute(
            "UPDATE auth_accounts SET is_verified = true WHERE email = $1", email
        )
        await connection.close()
        status, body = await call(app, "POST", "/v1/auth/login", credentials)
        assert status == 200, body
        bearer = [(b"authorization", f"Bearer {json.loads(body)['access_token']}".encode())]
        for _ in range(100):
            if (await call(app, "GET", "/v1/users/me", headers=bearer))[0] == 200:
                break
            await asyncio.sleep(0.1)
        await measure(
            "baseline GET /select-1", base, "GET", "/select-1", [], args.requests, args.profile
        )
        await measure("GET /health/live", app, "GET", "/health/live", [], args.requests, False)
        for extra in os.environ.get("MICRO_EXTRA", "").split():
            await measure(f"GET {extra}", app, "GET", extra, bearer, args.requests, False)
        await measure(
            "GET /v1/auth/me", app, "GET", "/v1/auth/me", bearer, args.requests, args.profile
        )
        await measure(
            "GET /v1/users/me", app, "GET", "/v1/users/me", bearer, args.requests, args.profile
        )


if __name__ == "__main__":
    asyncio.run(main())
