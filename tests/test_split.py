"""Slow tier: one code base as two services. A project rendered with PostgreSQL, EdDSA and a
broker runs auth alone (`APP__MODULES=["auth"]`, database A) and users alone
(`APP__MODULES=["users"]`, database B) on one broker and prefix; users verifies auth's access
tokens with auth's public keys (`IDENTITY__JWKS_URL`). Walked over HTTP: register and verify
at A, log in at A, read and edit the profile at B (created by B's consumer from A's event),
list users at B as a superuser made with A's command line, delete the user at B, and see A
refuse the user's tokens and login. Each database holds only its service's tables, nothing
is dead-lettered, both stop cleanly and log no error."""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from pytest_copier.plugin import CopierFixture

from tests.conftest import (
    broker_env,
    drop_broker_topology,
    drop_database,
    free_port,
    project_env,
    require_command,
    run,
)
from tests.servers import Server, check_logged_errors, render_to_serve

PACKAGE = "split_service"
PASSWORD = "correct horse battery staple"
TABLES = """
import asyncio, json, os
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

async def main():
    engine = create_async_engine(os.environ["DATABASE__URL"])
    async with engine.connect() as c:
        names = await c.run_sync(lambda sync: sa.inspect(sync).get_table_names())
    await engine.dispose()
    print(json.dumps(sorted(names)))

asyncio.run(main())
"""

MODELS = f"""
import json
from {PACKAGE}.modules import discover, metadata
print(json.dumps(sorted(metadata(discover()).tables)))
"""


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def eventually(check: Callable[[], bool], what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            pytest.fail(f"{what} within {timeout}s", pytrace=False)
        time.sleep(0.2)


@pytest.mark.slow
@pytest.mark.parametrize("broker", ["rabbitmq", "nats"])
def test_auth_and_users_run_as_two_services(
    copier: CopierFixture, tmp_path: Path, broker: str, request: pytest.FixtureRequest
) -> None:
    uv = require_command("uv")
    answers = {"message_broker": broker}
    root = render_to_serve(
        copier, tmp_path / "project", request, "Split Service", broker, jwt_algorithm="EdDSA"
    )
    common = project_env(
        **broker_env(answers),  # one broker and prefix for both services
        APP__ENVIRONMENT="development",
        MAIL__BACKEND="console",
        AUTH__EMAIL_VERIFICATION_REQUIRED="true",
        OUTBOX__POLL_INTERVAL="0.1",
        LOG__FORMAT="json",
        LOG__LEVEL="INFO",
        PYTHONUNBUFFERED="1",
    )
    urls = {
        name: f"postgresql+asyncpg://postgres@127.0.0.1:5432/split_{name}_{uuid.uuid4().hex[:10]}"
        for name in ("a", "b")
    }
    env_a = {
        **common,
        "APP__MODULES": '["auth"]',
        "DATABASE__URL": urls["a"],
        "SECURITY__SECRET_KEY": f"auth-service-secret-{uuid.uuid4().hex}",
    }
    servers: list[Server] = []
    try:
        run([uv, "sync"], cwd=root, env=common)
        port_a = free_port()
        env_b = {
            **common,
            "APP__MODULES": '["users"]',
            "DATABASE__URL": urls["b"],
            "SECURITY__SECRET_KEY": f"users-service-secret-{uuid.uuid4().hex}",  # not A's
            "IDENTITY__JWKS_URL": f"http://127.0.0.1:{port_a}/.well-known/jwks.json",
        }
        for env in (env_a, env_b):
            run([uv, "run", PACKAGE, "migrate"], cwd=root, env=env)
        tables = {
            name: json.loads(run([uv, "run", "python", "-c", TABLES], cwd=root, env=env).stdout)
            for name, env in (("a", env_a), ("b", env_b))
        }
        assert "auth_accounts" in tables["a"] and "users_profiles" not in tables["a"], tables
        assert "users_profiles" in tables["b"] and "auth_accounts" not in tables["b"], tables
        # Every table of the project is in one service's database, the platform's in both.
        every = json.loads(run([uv, "run", "python", "-c", MODELS], cwd=root, env=env_a).stdout)
        shared = set(tables["a"]) & set(tables["b"])
        assert set(tables["a"]) | set(tables["b"]) == {*every, "alembic_version"}, tables
        assert shared and not {name for name in shared if name.startswith(("auth_", "users_"))}
        # Commands of a module run where the module runs.
        for env, present in ((env_a, True), (env_b, False)):
            usage = run([uv, "run", PACKAGE, "--help"], cwd=root, env=env).stdout
            commands = re.search(r"\{([\w,-]+)\}", usage)
            assert commands and ("create-superuser" in commands[1].split(",")) is present, usage

        a = Server(root, PACKAGE, env_a, tmp_path / "a.log", port=port_a)
        b = Server(root, PACKAGE, env_b, tmp_path / "b.log")
        servers.extend((a, b))
        a.wait_ready()
        b.wait_ready()
        at_a = httpx.Client(base_url=a.base, timeout=10)
        at_b = httpx.Client(base_url=b.base, timeout=10)
        assert at_b.post("/v1/auth/login", json={}).status_code == 404  # auth is A's

        email = "split@example.com"
        body = {"email": email, "password": PASSWORD, "confirm_password": PASSWORD}
        assert at_a.post("/v1/auth/register", json=body).status_code == 202
        token, _ = a.mail_link("/verify-email", 0)  # A sends the verification email
        assert at_a.post("/v1/auth/verify", json={"token": token}).status_code == 200
        login = {"email": email, "password": PASSWORD}
        tokens = at_a.post("/v1/auth/login", json=login).json()
        user = bearer(tokens["access_token"])

        eventually(
            lambda: at_b.get("/v1/users/me", headers=user).status_code == 200,
            "B's consumer did not create the profile from A's event",
        )
        profile = at_b.get("/v1/users/me", headers=user).json()
        assert profile["email"] == email
        patched = at_b.patch("/v1/users/me", headers=user, json={"bio": "Split in two."})
        assert patched.status_code == 200 and patched.json()["bio"] == "Split in two."
        assert at_b.get("/v1/users", headers=user).status_code == 403  # not a superuser

        admin = "admin@example.com"
        run(
            [uv, "run", PACKAGE, "create-superuser", "--email", admin],
            cwd=root,
            env=env_a,
            input_text=f"{PASSWORD}\n",
        )
        admin_token = at_a.post("/v1/auth/login", json={**login, "email": admin}).json()
        superuser = bearer(admin_token["access_token"])
        listed = at_b.get("/v1/users", headers=superuser).json()
        assert profile["id"] in [item["id"] for item in listed["items"]], listed
        deleted = at_b.delete(f"/v1/users/{profile['id']}", headers=superuser)
        assert deleted.status_code == 204

        eventually(
            lambda: at_a.get("/v1/auth/me", headers=user).status_code == 401,
            "A still accepts the deleted user's access token",
        )
        relogin = at_a.post("/v1/auth/login", json=login)
        assert (relogin.status_code, relogin.json()["error"]["code"]) == (403, "account_disabled")
        refresh = {"refresh_token": tokens["refresh_token"]}
        assert at_a.post("/v1/auth/refresh-token", json=refresh).status_code == 401

        for env in (env_a, env_b):
            dead = run([uv, "run", PACKAGE, "broker", "dead-letters"], cwd=root, env=env).stdout
            assert dead.strip().endswith("0 dead letter(s)"), dead
        for server in servers:
            # A clean shutdown (uvicorn re-raises SIGTERM once it has shut down: -15).
            assert server.stop() in (0, -15), server.output()[-4000:]
            assert "Application shutdown complete" in server.output(), server.output()[-4000:]
            check_logged_errors(server.output())
    finally:
        for server in servers:
            server.stop()
        for url in urls.values():
            drop_database(root, common, url)
        drop_broker_topology(root, common, PACKAGE)
