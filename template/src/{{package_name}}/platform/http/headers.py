"""Security headers on every response, as one pure ASGI middleware (OWASP's REST Security
cheat sheet): browsers must not guess content types, send a referrer, or show a response
inside a frame, and once they reach the service over HTTPS they must keep to it (HSTS).

Swagger UI and ReDoc keep working: they are pages of their own, never framed, and the
Content-Security-Policy restricts framing only.
"""

from starlette.types import ASGIApp, Message, Receive, Scope, Send

type Headers = tuple[tuple[bytes, bytes], ...]

SECURITY_HEADERS: Headers = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    # Both forms: frame-ancestors for today's browsers, X-Frame-Options for older ones.
    (b"x-frame-options", b"DENY"),
    (b"content-security-policy", b"frame-ancestors 'none'"),
)


class SecurityHeadersMiddleware:
    """Adds `SECURITY_HEADERS` to every HTTP response, and `Strict-Transport-Security` to
    those served over HTTPS when `hsts_max_age_seconds` is above zero."""

    def __init__(self, app: ASGIApp, *, hsts_max_age_seconds: int = 0) -> None:
        self.app = app
        self._plain = SECURITY_HEADERS
        hsts = f"max-age={hsts_max_age_seconds}".encode()
        self._secure = (
            (*SECURITY_HEADERS, (b"strict-transport-security", hsts))
            if hsts_max_age_seconds
            else SECURITY_HEADERS
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        # Built once at start-up: a request only picks the tuple for its scheme.
        added = self._secure if scope["scheme"] == "https" else self._plain

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), *added]
            await send(message)

        await self.app(scope, receive, send_with_headers)
