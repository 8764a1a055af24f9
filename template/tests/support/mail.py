"""A real SMTP server for the tests (aiosmtpd), keeping every message it receives."""

import asyncio
import re
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class MailSink:
    def __init__(self) -> None:
        self._messages: list[EmailMessage] = []
        self._lock = threading.Lock()
        self.port = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's hook name
        message = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        with self._lock:
            self._messages.append(message)
        return "250 Message accepted for delivery"

    def messages_to(self, to: str) -> list[EmailMessage]:
        with self._lock:
            return [message for message in self._messages if message["To"] == to]

    async def wait_for(self, to: str, subject: str = "", seconds: float = 10) -> EmailMessage:
        """The first message to `to` whose subject contains `subject`, taken out of the sink."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            with self._lock:
                for message in self._messages:
                    if message["To"] == to and subject in message["Subject"]:
                        self._messages.remove(message)
                        return message
            await asyncio.sleep(0.02)
        seen = [(m["To"], m["Subject"]) for m in self.messages_to(to)]
        raise AssertionError(f"no email to {to} about {subject!r} within {seconds}s (got {seen})")


def text_of(message: EmailMessage) -> str:
    body = message.get_body(("plain",))
    assert body is not None
    return str(body.get_content())


def html_of(message: EmailMessage) -> str:
    body = message.get_body(("html",))
    assert body is not None
    return str(body.get_content())


def link_in(message: EmailMessage) -> str:
    match = re.search(r"https?://\S+\?token=[A-Za-z0-9_-]+", text_of(message))
    assert match, text_of(message)
    return match.group(0)


def token_in(message: EmailMessage) -> str:
    return link_in(message).rsplit("token=", 1)[1]


def run_sink(
    port: int | None = None, **controller_options: Any
) -> Iterator[tuple[MailSink, Controller]]:
    sink = MailSink()
    sink.port = port or free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=sink.port, **controller_options)
    controller.start()
    try:
        yield sink, controller
    finally:
        controller.stop()


@asynccontextmanager
async def silent_mail_server() -> AsyncIterator[int]:
    """A mail server on loopback that accepts connections and never says a word; its port."""
    connections: list[asyncio.StreamWriter] = []

    async def accept(_: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections.append(writer)  # held open, never answered

    server = await asyncio.start_server(accept, "127.0.0.1", 0)
    try:
        yield int(server.sockets[0].getsockname()[1])
    finally:
        server.close()
        for writer in connections:
            writer.close()
