"""A rendered project's server, started as its README says (`<package> serve`, the script
`uv sync` installed; run directly, so a signal reaches the server itself) on a free loopback
port, with its output in a file the tests read (console emails, JSON logs)."""

from __future__ import annotations

import json
import re
import subprocess
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from pytest_copier.plugin import CopierFixture

from tests import matrix
from tests.conftest import free_port


def render_to_serve(
    copier: CopierFixture,
    destination: Path,
    request: pytest.FixtureRequest,
    name: str,
    broker: str,
    **answers: Any,
) -> Path:
    """A project to serve on a broker: PostgreSQL, users, email verification, no CI or
    container files; the broker is named in the run's summary."""
    request.node.user_properties.append(("broker", matrix.broker_note({"message_broker": broker})))
    return copier.copy(
        destination,
        project_name=name,
        database="postgresql",
        message_broker=broker,
        email_verification=True,
        include_users=True,
        ci="none",
        docker=False,
        **answers,
    ).path


class Server:
    def __init__(
        self, root: Path, package: str, env: dict[str, str], log: Path, port: int | None = None
    ) -> None:
        self.port = port or free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = log
        with log.open("w") as output:
            self.process = subprocess.Popen(
                [str(root / ".venv" / "bin" / package), "serve", "--port", str(self.port)],
                cwd=root,
                env=env,
                stdout=output,
                stderr=subprocess.STDOUT,
            )

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.output()[-3000:]
            try:
                if httpx.get(f"{self.base}/health/ready", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        pytest.fail(f"not ready:\n{self.output()[-3000:]}", pytrace=False)

    def mail_link(self, path: str, after: int) -> tuple[str, int]:
        """The token of the first `path` link the console mailer printed past offset `after`,
        and the offset past it."""
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            match = re.compile(rf"{re.escape(path)}\?token=([A-Za-z0-9_-]+)").search(
                self.output(), after
            )
            if match:
                return match.group(1), match.end()
            time.sleep(0.1)
        pytest.fail(f"no {path} email printed:\n{self.output()[-3000:]}", pytrace=False)

    def stop(self) -> int:
        """Stop it as a process manager would (SIGTERM); its exit status."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        return self.process.returncode


def check_logged_errors(output: str) -> None:
    """No error was logged (JSON logs) and no traceback printed."""
    for line in output.splitlines():
        if not line.startswith("{"):
            assert "Traceback" not in line, output[-4000:]
            continue
        record = json.loads(line)
        if record.get("level") in {"error", "critical"}:
            pytest.fail(f"an error was logged: {line}", pytrace=False)
