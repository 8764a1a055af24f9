"""Slow tier: scaling out on a real broker. For RabbitMQ, Redis Streams and NATS JetStream
(this machine's, on 127.0.0.1), two processes of one rendered project share a PostgreSQL
database and the broker; registrations spread over both must give one account and one
profile each, and every consuming module handles every event exactly once (its inbox row,
and one verification email per address across both processes' output), with no dead letter.

Kafka is not here yet: its rendered project's own tests run on Tansu, a Kafka-protocol
broker they start themselves."""

from __future__ import annotations

import json
import socket
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import IO

import pytest
from pytest_copier.plugin import CopierFixture

from tests import matrix
from tests.conftest import (
    broker_env,
    drop_broker_topology,
    drop_database,
    project_env,
    require_command,
    run,
)

REGISTRATIONS = 100
PACKAGE = "scale_service"
# Consumer -> the event type it handles once per registration (email verification is on):
# users' profile from auth's public AccountRegistered, auth's own verification email.
CONSUMERS = {
    "users.create_profile": "auth.account_registered",
    "auth.send_verification_email": "auth.internal.verification_email_requested",
}

# Polls the database (with the project's own driver) until the outbox is drained and every
# consumer has handled every event, or the time is up; prints what it saw as JSON.
OBSERVE = """
import asyncio, json, os, sys, time
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

expected, consumers, timeout = int(sys.argv[1]), json.loads(sys.argv[2]), float(sys.argv[3])

async def main():
    engine = create_async_engine(os.environ["DATABASE__URL"])
    deadline = time.monotonic() + timeout
    while True:
        async with engine.connect() as c:
            seen = {
                "accounts": await c.scalar(sa.text("SELECT count(*) FROM auth_accounts")),
                "profiles": await c.scalar(sa.text("SELECT count(*) FROM users_profiles")),
                "outbox_not_published": await c.scalar(
                    sa.text("SELECT count(*) FROM outbox_messages WHERE status <> 'published'")
                ),
                "inbox": {
                    consumer: count
                    for consumer, count in await c.execute(
                        sa.text("SELECT consumer, count(*) FROM inbox_messages GROUP BY consumer")
                    )
                },
                "inbox_event_types": sorted(
                    f"{consumer} {event_type}"
                    for consumer, event_type in await c.execute(
                        sa.text("SELECT DISTINCT consumer, event_type FROM inbox_messages")
                    )
                ),
                "delivery_failures": {
                    status: count
                    for status, count in await c.execute(
                        sa.text("SELECT status, count(*) FROM delivery_failures GROUP BY status")
                    )
                },
            }
        done = seen["outbox_not_published"] == 0 and all(
            seen["inbox"].get(consumer, 0) >= expected for consumer in consumers
        )
        if done or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.25)
    await engine.dispose()
    print(json.dumps(seen))

asyncio.run(main())
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Instance:
    """One `uvicorn` process of the project on a loopback port, its output in a file."""

    def __init__(self, root: Path, env: dict[str, str], log: Path) -> None:
        self.port = free_port()
        self.log = log
        self._output: IO[str] = log.open("w")
        self.process = subprocess.Popen(
            [
                str(root / ".venv" / "bin" / "uvicorn"),
                f"{PACKAGE}.main:app",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
            ],
            cwd=root,
            env=env,
            stdout=self._output,
            stderr=subprocess.STDOUT,
            text=True,
        )

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def wait_ready(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(
                    f"instance on port {self.port} exited with {self.process.returncode}:\n{self.output()[-4000:]}",
                    pytrace=False,
                )
            try:
                with urllib.request.urlopen(self.url("/health/ready"), timeout=2) as response:
                    body = json.loads(response.read())
                    assert body["checks"].get("broker") == "ok", body
                    return
            except OSError:
                time.sleep(0.2)
        pytest.fail(
            f"instance on port {self.port} was not ready within {timeout}s:\n{self.output()[-4000:]}",
            pytrace=False,
        )

    def stop(self) -> int | None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        self._output.close()
        return self.process.returncode

    def output(self) -> str:
        if not self._output.closed:
            self._output.flush()
        return self.log.read_text(errors="replace")


def register(instance: Instance, number: int) -> int:
    password = f"scale-test-password-{number}-{uuid.uuid4().hex[:8]}"
    body = json.dumps(
        {"email": f"scale-{number}@example.com", "password": password, "confirm_password": password}
    )
    request = urllib.request.Request(
        instance.url("/v1/auth/register"),
        data=body.encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


@pytest.mark.slow
@pytest.mark.parametrize("broker", sorted(matrix.REAL_BROKERS))
def test_two_instances_on_one_broker_handle_each_event_once(
    copier: CopierFixture, tmp_path: Path, broker: str, request: pytest.FixtureRequest
) -> None:
    uv = require_command("uv")
    answers = {"message_broker": broker}
    request.node.user_properties.append(("broker", matrix.broker_note(answers)))
    root = copier.copy(
        tmp_path / "project",
        project_name="Scale Service",
        database="postgresql",
        message_broker=broker,
        email_verification=True,
        include_users=True,
        ci="none",
        docker=False,
    ).path
    database_url = f"postgresql+asyncpg://postgres@127.0.0.1:5432/scale_{uuid.uuid4().hex[:12]}"
    env = project_env(
        **broker_env(answers),  # the same prefix for both instances, unique to this run
        DATABASE__URL=database_url,
        APP__ENVIRONMENT="development",
        MAIL__BACKEND="console",  # the verification emails land in each instance's output
        AUTH__EMAIL_VERIFICATION_REQUIRED="true",
        BROKER__CONSUME="true",
        OUTBOX__POLL_INTERVAL="0.1",
        LOG__FORMAT="json",
        LOG__LEVEL="WARNING",
    )
    instances: list[Instance] = []
    try:
        run([uv, "sync"], cwd=root, env=env)
        run([uv, "run", PACKAGE, "migrate"], cwd=root, env=env)
        instances = [Instance(root, env, tmp_path / f"instance-{n}.log") for n in (1, 2)]
        for instance in instances:
            instance.wait_ready()

        with ThreadPoolExecutor(max_workers=8) as pool:
            statuses = list(pool.map(lambda n: register(instances[n % 2], n), range(REGISTRATIONS)))
        assert all(status < 500 for status in statuses), f"5xx answers: {sorted(set(statuses))}"
        assert statuses == [202] * REGISTRATIONS, sorted(set(statuses))

        observe = tmp_path / "observe.py"
        observe.write_text(OBSERVE)
        seen = json.loads(
            run(
                [
                    uv,
                    "run",
                    "python",
                    str(observe),
                    str(REGISTRATIONS),
                    json.dumps(sorted(CONSUMERS)),
                    "45",
                ],
                cwd=root,
                env=env,
            ).stdout
        )
        logs = "\n".join(instance.output()[-3000:] for instance in instances)
        assert seen["outbox_not_published"] == 0, (seen, logs)
        assert seen["accounts"] == REGISTRATIONS and seen["profiles"] == REGISTRATIONS, (seen, logs)
        # Exactly one inbox row per (consuming module, event); nothing else was consumed.
        assert seen["inbox"] == dict.fromkeys(CONSUMERS, REGISTRATIONS), (seen, logs)
        assert seen["inbox_event_types"] == sorted(f"{c} {e}" for c, e in CONSUMERS.items()), seen
        assert seen["delivery_failures"] == {}, (seen, logs)
        dead = run([uv, "run", PACKAGE, "broker", "dead-letters"], cwd=root, env=env).stdout
        assert dead.strip().endswith("0 dead letter(s)"), dead

        for instance in instances:
            # A clean shutdown (uvicorn re-raises SIGTERM once it has shut down: -15).
            assert instance.stop() in (0, -15), instance.output()[-4000:]
            assert "Application shutdown complete" in instance.output(), instance.output()[-4000:]
        # Each address got its verification email once, from one of the two processes.
        sent = [instance.output().count("\nTo: scale-") for instance in instances]
        recipients = [
            line
            for instance in instances
            for line in instance.output().splitlines()
            if line.startswith("To: scale-")
        ]
        assert sorted(recipients) == sorted(
            f"To: scale-{n}@example.com" for n in range(REGISTRATIONS)
        ), sent
        request.node.user_properties.append(
            ("detail", f"{broker}: verification emails sent by instance 1/2: {sent[0]}/{sent[1]}")
        )
        for instance in instances:
            check_logged_errors(instance.output())
    finally:
        for instance in instances:
            instance.stop()
        drop_database(root, env, database_url)
        drop_broker_topology(root, env, PACKAGE)


def check_logged_errors(output: str) -> None:
    """No error was logged and no traceback printed (the rendered project pins nats-py below
    2.15, whose fetch timeouts FastStream 0.7 logs as errors every idle second)."""
    for line in output.splitlines():
        if not line.startswith("{"):
            assert "Traceback" not in line, output[-4000:]
            continue
        record = json.loads(line)
        if record.get("level") in {"error", "critical"}:
            pytest.fail(f"an error was logged: {line}", pytrace=False)
