"""Full tier: for a pairwise cover of the answers, render the project and run its own checks
exactly as its README tells a developer to: install, lint, type-check, architecture
contracts, migrations up/check/down/up, its test suite, and serving `/health/ready`."""

from __future__ import annotations

import socket
import subprocess
import time
import urllib.request
import uuid
from pathlib import Path
from typing import Any

import pytest
from pytest_copier.plugin import CopierFixture

from tests import matrix
from tests.conftest import project_env, require_command, run

ADMIN_DATABASE_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_ready(url: str, process: subprocess.Popen[str], timeout: float = 30) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            output = process.stdout.read() if process.stdout else ""
            pytest.fail(f"the server exited with {process.returncode}:\n{output[-4000:]}", pytrace=False)
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - loopback only
                return int(response.status)
        except OSError:
            time.sleep(0.2)
    pytest.fail(f"{url} did not answer within {timeout}s", pytrace=False)


@pytest.mark.slow
@pytest.mark.parametrize("answers", matrix.pairwise(), ids=matrix.label)
def test_rendered_project_passes_its_own_checks(
    copier: CopierFixture, tmp_path: Path, answers: dict[str, Any], request: pytest.FixtureRequest
) -> None:
    uv = require_command("uv")
    project = copier.copy(tmp_path / "project", project_name="Matrix Service", **answers)
    root = project.path
    package = "matrix_service"
    extra: dict[str, str] = {}
    database = None
    if answers["database"] == "postgresql":
        database = f"matrix_{uuid.uuid4().hex[:12]}"
        extra["DATABASE__URL"] = f"postgresql+asyncpg://postgres@127.0.0.1:5432/{database}"
    env = project_env(**extra)
    steps: list[tuple[str, float]] = []
    # Reported per combination at the end of the run (works across xdist workers).
    request.node.user_properties.append(("timings", steps))

    def step(name: str, *command: str, timeout: float = 900) -> None:
        started = time.perf_counter()
        run([uv, *command], cwd=root, env=env, timeout=timeout)
        steps.append((name, time.perf_counter() - started))

    try:
        step("uv sync", "sync")
        version = run([uv, "run", "python", "-c", "import sys; print(sys.version)"], cwd=root, env=env)
        assert version.stdout.startswith(answers["python_version"] + "."), version.stdout
        step("ruff check", "run", "ruff", "check", ".")
        step("ruff format", "run", "ruff", "format", "--check", ".")
        step("mypy --strict", "run", "mypy")
        step("lint-imports", "run", "lint-imports")
        step("migrate (upgrade head)", "run", package, "migrate")
        step("alembic check", "run", "alembic", "check")
        step("alembic downgrade base", "run", "alembic", "downgrade", "base")
        step("alembic upgrade head", "run", "alembic", "upgrade", "head")
        step("pytest", "run", "pytest", "-q", "-p", "no:cacheprovider")

        started = time.perf_counter()
        port = free_port()
        server = subprocess.Popen(  # noqa: S603 - fixed arguments
            [uv, "run", "uvicorn", f"{package}.main:app", "--port", str(port)],
            cwd=root, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )
        try:
            assert wait_ready(f"http://127.0.0.1:{port}/health/ready", server) == 200
        finally:
            server.terminate()
            server.wait(timeout=15)
        steps.append(("serve /health/ready", time.perf_counter() - started))
    finally:
        if database:
            drop = (
                "import asyncio, sqlalchemy as sa\n"
                "from sqlalchemy.ext.asyncio import create_async_engine\n"
                "async def main():\n"
                f"    e = create_async_engine({ADMIN_DATABASE_URL!r}, isolation_level='AUTOCOMMIT')\n"
                "    async with e.connect() as c:\n"
                f"        await c.execute(sa.text('DROP DATABASE IF EXISTS \"{database}\" WITH (FORCE)'))\n"
                "    await e.dispose()\n"
                "asyncio.run(main())\n"
            )
            subprocess.run([uv, "run", "python", "-c", drop], cwd=root, env=env, check=False, capture_output=True)
