"""The app under a real uvicorn server on loopback, in a thread of its own, for clients that
speak HTTP over sockets (schemathesis, requests-based OAuth clients)."""

import asyncio
import socket
import threading
from collections.abc import Coroutine, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import uvicorn
from fastapi import FastAPI


@dataclass(frozen=True)
class LiveServer:
    base_url: str
    loop: asyncio.AbstractEventLoop

    def run(self, coroutine: Coroutine[Any, Any, None]) -> None:
        """Run a coroutine on the server's own event loop (its pool lives there)."""
        asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout=30)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serve(app: FastAPI) -> Iterator[LiveServer]:
    """Serve `app` (its lifespan included) until the block ends."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None))
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_until_complete, args=(server.serve(),))
    thread.start()
    try:
        for _ in range(500):
            if server.started or not thread.is_alive():
                break
            threading.Event().wait(0.01)
        assert server.started, "the server did not start"
        yield LiveServer(f"http://127.0.0.1:{port}", loop)
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        loop.close()
