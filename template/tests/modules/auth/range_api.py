"""A local server speaking the Pwned Passwords range protocol (GET /range/{5 hex digits},
answered with `SUFFIX:COUNT` lines padded with zero-count decoys), for the tests of the
breached-password check."""

import hashlib
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def sha1_hex(password: str) -> str:
    return hashlib.sha1(password.encode(), usedforsecurity=False).hexdigest().upper()


@dataclass
class RangeApi:
    """What the server knows (`breached`: password to count) and what it was asked."""

    breached: dict[str, int] = field(default_factory=dict)
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    status: int = 200
    url: str = ""

    def answer(self, prefix: str) -> str:
        lines = [f"{'0' * 35}:0", f"{'F' * 35}:0"]  # the padding decoys
        for password, count in self.breached.items():
            digest = sha1_hex(password)
            if digest.startswith(prefix):
                lines.append(f"{digest[5:]}:{count}")
        return "\r\n".join(lines)


@contextmanager
def range_api() -> Iterator[RangeApi]:
    api = RangeApi()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            api.requests.append((self.path, dict(self.headers)))
            prefix = self.path.removeprefix("/range/")
            if api.status != 200 or len(prefix) != 5:
                self.send_error(api.status if api.status != 200 else 400)
                return
            body = api.answer(prefix.upper()).encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            del format, args

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    api.url = f"http://127.0.0.1:{server.server_address[1]}/range/"
    try:
        yield api
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
