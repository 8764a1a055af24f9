"""HTTP helpers for the auth tests."""

import asyncio
import time
import uuid
from typing import Any

import httpx

from tests.support.mail import MailSink, token_in

PASSWORD = "correct horse battery staple"


def new_email() -> str:
    return f"user-{uuid.uuid4().hex[:12]}@example.com"


def bearer(access_token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {access_token}"}


async def register(
    client: httpx.AsyncClient, email: str, password: str = PASSWORD
) -> httpx.Response:
    return await client.post(
        "/v1/auth/register",
        json={"email": email, "password": password, "confirm_password": password},
    )


async def verify_from_mail(client: httpx.AsyncClient, sink: MailSink, email: str) -> None:
    message = await sink.wait_for(email, "Confirm your email")
    response = await client.post("/v1/auth/verify", json={"token": token_in(message)})
    assert response.status_code == 200, response.text


async def login(client: httpx.AsyncClient, email: str, password: str = PASSWORD) -> dict[str, Any]:
    response = await client.post("/v1/auth/login", json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    tokens: dict[str, Any] = response.json()
    return tokens


async def signed_up(client: httpx.AsyncClient, sink: MailSink, email: str | None = None) -> str:
    """Register a new account and verify it through the emailed link; its email address."""
    email = email or new_email()
    assert (await register(client, email)).status_code == 202
    await verify_from_mail(client, sink, email)
    return email


async def found(
    client: httpx.AsyncClient, path: str, access_token: str, seconds: float = 5.0
) -> httpx.Response:
    """GET `path` until it is no longer 404, or `seconds` pass: what a module makes from
    another's event exists moments after the request that raised the event."""
    deadline = time.monotonic() + seconds
    while True:
        response = await client.get(path, headers=bearer(access_token))
        if response.status_code != 404 or time.monotonic() > deadline:
            return response
        await asyncio.sleep(0.02)
