"""Slow tier: scaling out on a real broker, and surviving a crash. For RabbitMQ, Redis
Streams and NATS JetStream (this machine's, on 127.0.0.1) and for Kafka's protocol (Tansu,
started from the rendered project's own dev dependency), two processes of one rendered
project share a PostgreSQL database and the broker; registrations spread over both must give
one account and one profile each, and every consuming module handles every event exactly
once (its inbox row, and one verification email per address across both processes' output),
with no dead letter.

Then a consumer is killed (SIGKILL) mid-stream, in the middle of a backlog of events, and a
new process takes over: no event is lost and none is handled twice (one inbox row and one
profile each); only an email the dead process sent before its transaction committed may go
out again (email is not transactional)."""

from __future__ import annotations

import json
import signal
import time
import urllib.error
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path
from typing import Any

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
    tansu,
)
from tests.servers import Server, check_logged_errors, render_to_serve

REGISTRATIONS = 100
BACKLOG = 40  # registrations whose events wait on the broker for the consumer that is killed
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


def register(instance: Server, email: str) -> int:
    # Nothing of the project's name or the address in it: the service refuses such passwords.
    password = f"a long passphrase {uuid.uuid4().hex[:12]}"
    body = json.dumps({"email": email, "password": password, "confirm_password": password})
    request = urllib.request.Request(
        f"{instance.base}/v1/auth/register",
        data=body.encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


def register_all(instances: list[Server], emails: list[str]) -> None:
    """Register every address, spread over the instances, eight at a time."""
    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(
            pool.map(
                lambda n: register(instances[n % len(instances)], emails[n]), range(len(emails))
            )
        )
    assert all(status < 500 for status in statuses), f"5xx answers: {sorted(set(statuses))}"
    assert statuses == [202] * len(emails), sorted(set(statuses))


def emails_to(instances: list[Server], prefix: str) -> list[str]:
    """The recipients of the verification emails the instances printed, starting with `prefix`."""
    return [
        line.removeprefix("To: ")
        for instance in instances
        for line in instance.output().splitlines()
        if line.startswith(f"To: {prefix}")
    ]


@pytest.mark.slow
@pytest.mark.parametrize("broker", sorted({*matrix.REAL_BROKERS, *matrix.OWN_BROKERS}))
def test_two_instances_share_the_broker_and_a_crash_loses_nothing(
    copier: CopierFixture, tmp_path: Path, broker: str, request: pytest.FixtureRequest
) -> None:
    uv = require_command("uv")
    answers = {"message_broker": broker}
    root = render_to_serve(copier, tmp_path / "project", request, "Scale Service", broker)
    database_url = f"postgresql+asyncpg://postgres@127.0.0.1:5432/scale_{uuid.uuid4().hex[:12]}"
    env = project_env(
        **broker_env(answers),  # the same prefix for both instances, unique to this run
        DATABASE__URL=database_url,
        APP__ENVIRONMENT="development",
        MAIL__BACKEND="console",  # the verification emails land in each instance's output
        AUTH__EMAIL_VERIFICATION_REQUIRED="true",
        # Every registration comes from this one address: keep its throttle out of the way.
        AUTH__EMAIL_REQUESTS_PER_ADDRESS="1000000",
        BROKER__CONSUME="true",
        OUTBOX__POLL_INTERVAL="0.1",
        LOG__FORMAT="json",
        LOG__LEVEL="INFO",
        PYTHONUNBUFFERED="1",  # each email is in the output file as soon as it is printed
    )
    instances: list[Server] = []
    observe = tmp_path / "observe.py"
    observe.write_text(OBSERVE)

    def start(name: str, **settings: str) -> Server:
        instance = Server(root, PACKAGE, {**env, **settings}, tmp_path / f"{name}.log")
        instances.append(instance)
        instance.wait_ready(timeout=60)
        return instance

    def seen(expected: int, timeout: float) -> dict[str, Any]:
        command = [uv, "run", "python", str(observe), str(expected)]
        return json.loads(
            run([*command, json.dumps(sorted(CONSUMERS)), str(timeout)], cwd=root, env=env).stdout
        )

    with ExitStack() as stack:
        try:
            run([uv, "sync"], cwd=root, env=env)
            if broker in matrix.OWN_BROKERS:
                address = stack.enter_context(tansu(root, env, tmp_path / "tansu.log"))
                env.update(BROKER__URL=address, BROKER__PREFIX=f"tpl-{uuid.uuid4().hex[:12]}")
            run([uv, "run", PACKAGE, "migrate"], cwd=root, env=env)
            pair = [start("instance-1"), start("instance-2")]
            register_all(pair, [f"scale-{n}@example.com" for n in range(REGISTRATIONS)])
            check_handled_once(seen(REGISTRATIONS, 45), REGISTRATIONS, instances)
            for instance in pair:
                # A clean shutdown (uvicorn re-raises SIGTERM once it has shut down: -15).
                assert instance.stop() in (0, -15), instance.output()[-4000:]
                assert "Application shutdown complete" in instance.output(), instance.output()[
                    -4000:
                ]
                check_logged_errors(instance.output())
            # Each address got its verification email once, from one of the two processes.
            sent = [len(emails_to([instance], "scale-")) for instance in pair]
            assert sorted(emails_to(pair, "scale-")) == sorted(
                f"scale-{n}@example.com" for n in range(REGISTRATIONS)
            ), sent

            # The crash: a backlog of events waits on the broker (published by a process that
            # consumes nothing), a consumer starts on it and is killed at its first email.
            publisher = start("publisher", BROKER__CONSUME="false")
            backlog = [f"crash-{n}@example.com" for n in range(BACKLOG)]
            register_all([publisher], backlog)
            total = REGISTRATIONS + BACKLOG
            assert seen(0, 30)["outbox_not_published"] == 0
            assert publisher.stop() in (0, -15), publisher.output()[-4000:]
            victim = start("victim")
            deadline = time.monotonic() + 60
            while not emails_to([victim], "crash-"):
                assert time.monotonic() < deadline, victim.output()[-4000:]
                time.sleep(0.01)
            victim.process.send_signal(signal.SIGKILL)
            victim.process.wait(timeout=10)
            at_kill = seen(0, 0)
            assert any(at_kill["inbox"].get(c, 0) < total for c in CONSUMERS), at_kill
            # Its successor gets what the victim left: unacknowledged, uncommitted or pending
            # messages, each broker in its own way (NATS after its ack wait).
            successor = start("successor")
            check_handled_once(seen(total, 120), total, instances)
            assert successor.stop() in (0, -15), successor.output()[-4000:]
            check_logged_errors(successor.output())
            # Only an email the victim printed may have gone out twice.
            crash_emails = emails_to([victim, successor], "crash-")
            assert set(crash_emails) == set(backlog), sorted(set(backlog) - set(crash_emails))
            again = {email for email in backlog if crash_emails.count(email) > 1}
            assert again <= set(emails_to([victim], "crash-")), again
            detail = (
                f"{broker}: verification emails by instance 1/2: {sent[0]}/{sent[1]}; "
                f"killed mid-stream with {at_kill['inbox']} of {total} handled, "
                f"then {total} once each; emails sent twice: {len(again)}"
            )
            request.node.user_properties.append(("detail", detail))
        finally:
            for instance in instances:
                instance.stop()
            drop_database(root, env, database_url)
            if broker not in matrix.OWN_BROKERS:  # Tansu takes its topics with it
                drop_broker_topology(root, env, PACKAGE)


def check_handled_once(seen: dict[str, Any], total: int, instances: list[Server]) -> None:
    logs = "\n".join(instance.output()[-3000:] for instance in instances)
    assert seen["outbox_not_published"] == 0, (seen, logs)
    assert seen["accounts"] == total and seen["profiles"] == total, (seen, logs)
    # Exactly one inbox row per (consuming module, event); nothing else was consumed.
    assert seen["inbox"] == dict.fromkeys(CONSUMERS, total), (seen, logs)
    assert seen["inbox_event_types"] == sorted(f"{c} {e}" for c, e in CONSUMERS.items()), seen
    assert seen["delivery_failures"] == {}, (seen, logs)
