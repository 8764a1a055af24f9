"""Full tier: for a pairwise cover of the answers, render the project and run its own checks
exactly as its README tells a developer to: install, lint, type-check, architecture
contracts, migrations up/check/down/up, its test suite (coverage at least 90%), and serving
`/health/ready`; then the commands its CI files and Makefile name exist, and, with
`docker=true`, the Dockerfile is rehearsed: built without an engine and its own commands
(migrate, the server, the HEALTHCHECK) run from the result."""

from __future__ import annotations

import json
import re
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
import yaml
from pytest_copier.plugin import CopierFixture

from tests import delivery, matrix, rehearsal
from tests.conftest import (
    ROOT,
    broker_env,
    drop_broker_topology,
    drop_database,
    free_port,
    project_env,
    require_command,
    run,
    tansu,
)


def wait_ready(url: str, process: subprocess.Popen[str], timeout: float = 30) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            output = process.stdout.read() if process.stdout else ""
            pytest.fail(
                f"the server exited with {process.returncode}:\n{output[-4000:]}", pytrace=False
            )
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
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
    # Every row's free text needs escaping in the files it lands in, and passes every check.
    names = {"project_slug": "matrix-service", "package_name": "matrix_service"}
    project = copier.copy(tmp_path / "project", **matrix.FREE_TEXT, **names, **answers)
    root = project.path
    package = "matrix_service"
    extra: dict[str, str] = {}
    database = None
    if answers["database"] == "postgresql":
        database = f"matrix_{uuid.uuid4().hex[:12]}"
        extra["DATABASE__URL"] = f"postgresql+asyncpg://postgres@127.0.0.1:5432/{database}"
    # A real broker on 127.0.0.1 with a prefix of this run's own; for Kafka, the project's
    # tests start Tansu themselves, and the serve steps below start one of their own.
    extra.update(broker_env(answers))
    env = project_env(**extra)
    steps: list[tuple[str, float]] = []
    # Reported per combination at the end of the run (works across xdist workers).
    request.node.user_properties.append(("timings", steps))
    if note := matrix.broker_note(answers):
        request.node.user_properties.append(("broker", note))
    own_server = answers["message_broker"] in matrix.OWN_BROKERS

    def step(name: str, *command: str, timeout: float = 900) -> None:
        started = time.perf_counter()
        run([uv, *command], cwd=root, env=env, timeout=timeout)
        steps.append((name, time.perf_counter() - started))

    try:
        step("uv sync", "sync")
        version = run(
            [uv, "run", "python", "-c", "import sys; print(sys.version)"], cwd=root, env=env
        )
        assert version.stdout.startswith(answers["python_version"] + "."), version.stdout
        # The same list the fast tier holds the CI files and the Makefile to.
        for name, words in delivery.project_checks(package):
            step(name, "run", *words)
        check_named_tools_exist(root, answers)
        check_package_names_refused(root, env, package)
        check_subsets_collect_only_themselves(root, env)

        server_command = [uv, "run", "uvicorn", f"{package}.main:app", "--port", str(free_port())]
        with ExitStack() as stack:
            if own_server:
                # Without its broker (a closed loopback port) the app must refuse to start,
                # never report itself ready; then it serves on Tansu, as the tests start it.
                started = time.perf_counter()
                refuse_to_start(
                    server_command, root, {**env, "BROKER__URL": f"127.0.0.1:{free_port()}"}
                )
                steps.append(
                    ("serve refuses to start without its broker", time.perf_counter() - started)
                )
                address = stack.enter_context(tansu(root, env, tmp_path / "tansu.log"))
                env.update(BROKER__URL=address, BROKER__PREFIX=f"tpl-{uuid.uuid4().hex[:12]}")

            started = time.perf_counter()
            server = subprocess.Popen(
                server_command,
                cwd=root,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
            try:
                url = f"http://127.0.0.1:{server_command[-1]}/health/ready"
                assert wait_ready(url, server) == 200
            finally:
                server.terminate()
                server.wait(timeout=15)
            steps.append(("serve /health/ready", time.perf_counter() - started))

            if answers["docker"]:
                started = time.perf_counter()
                rehearse_image(root, tmp_path / "image", answers, env)
                steps.append(("Dockerfile rehearsal", time.perf_counter() - started))
    finally:
        if not own_server:  # Tansu took its topics with it
            drop_broker_topology(root, env, package)
        if database:
            drop_database(root, env, extra["DATABASE__URL"])


def check_package_names_refused(root: Path, env: dict[str, str], package: str) -> None:
    """Every name the environment can import is one `package_name` refuses."""
    names = "import importlib.metadata, json; print(json.dumps(sorted(importlib.metadata.packages_distributions())))"
    installed = json.loads(
        run([require_command("uv"), "run", "python", "-c", names], cwd=root, env=env).stdout
    )
    listed = (ROOT / "extensions" / "dependency_names.txt").read_text().split()
    missing = [
        name
        for name in installed
        if re.fullmatch(r"[a-z][a-z0-9]*(_[a-z0-9]+)*", name) and name not in {*listed, package}
    ]
    assert not missing, f"add to extensions/dependency_names.txt: {missing}"


def check_subsets_collect_only_themselves(root: Path, env: dict[str, str]) -> None:
    """The README's command for a subset of the tests, and a path given to plain `pytest`
    (coverage on, from `addopts`), collect that subset and nothing else."""
    readme = (root / "README.md").read_text()
    found = re.search(r"`uv run pytest (tests/\S+)( [^`]*)?`", readme)
    assert found, "the README names a command for a subset of the tests"
    for path, options in (
        (found[1], (found[2] or "").split()),
        ("tests/unit/test_settings.py", []),
    ):
        collected = run(
            [require_command("uv"), "run", "pytest", path, *options, "--collect-only", "-q"],
            cwd=root,
            env=env,
        ).stdout
        tests = [line for line in collected.splitlines() if "::" in line]
        assert tests and all(line.startswith(path) for line in tests), collected[-2000:]


def refuse_to_start(command: list[str], root: Path, env: dict[str, str]) -> None:
    """Without its broker the app never reports itself ready: it refuses to start, or it
    serves with `/health/ready` answering 503 and naming the broker."""
    server = subprocess.Popen(
        command, cwd=root, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    url = f"http://127.0.0.1:{command[-1]}/health/ready"
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline and server.poll() is None:
            try:
                with urllib.request.urlopen(url, timeout=5) as response:
                    pytest.fail(f"ready ({response.status}) without a broker", pytrace=False)
            except urllib.error.HTTPError as error:
                body = json.loads(error.read())
                assert error.code == 503 and body["checks"]["broker"] == "unavailable", body
                return
            except OSError:
                time.sleep(0.3)
    finally:
        server.terminate()
        output, _ = server.communicate(timeout=15)
    assert server.returncode not in (0, None) and "Application startup failed" in output, output[
        -4000:
    ]


def check_named_tools_exist(root: Path, answers: dict[str, Any]) -> None:
    """Every `uv run X` in the CI files, the Makefile and the hooks is installed by `uv sync`."""
    scripts: list[str] = []
    if answers["ci"] == "github":
        for path in (root / ".github" / "workflows").glob("*.yml"):
            scripts += delivery.github_scripts(yaml.safe_load(path.read_text()))
    if answers["ci"] == "gitlab":
        scripts += delivery.gitlab_scripts(yaml.safe_load((root / ".gitlab-ci.yml").read_text()))
    scripts += [
        line.strip()
        for line in (root / "Makefile").read_text().splitlines()
        if line.startswith("\t")
    ]
    hooks = yaml.safe_load((root / ".pre-commit-config.yaml").read_text())["repos"]
    scripts += [hook["entry"] for repo in hooks for hook in repo["hooks"]]
    named = {words[0] for words in delivery.uv_run_commands(scripts)}
    assert {"ruff", "mypy", "lint-imports", "pytest", "pre-commit"} <= named
    for executable in named:
        assert (root / ".venv" / "bin" / executable).is_file(), (
            f"`uv run {executable}` names nothing `uv sync` installed"
        )


def rehearse_image(root: Path, where: Path, answers: dict[str, Any], env: dict[str, str]) -> None:
    image = rehearsal.build(root, where, env, python=f"python{answers['python_version']}")
    app = image.fs / "app"
    assert not (app / "src").exists() and not (app / "tests").exists(), (
        "the runtime image holds sources or tests"
    )
    for dev_tool in ("pytest", "mypy", "ruff", "lint-imports"):
        assert not (app / ".venv" / "bin" / dev_tool).exists(), (
            f"the runtime image has the dev tool {dev_tool}"
        )
    assert image.user != "0" and not image.user.startswith("root")

    # The container's environment: the image's ENV, compose's settings for the service,
    # interpolated from the host's environment as compose does (the database host `db` exists
    # only in compose: the test database stands in for it), and the secret from .env, as
    # compose's env_file passes it. No .env file is in the image.
    compose = yaml.safe_load((root / "compose.yaml").read_text())
    container_env = dict(image.env)
    container_env.update(
        {
            key: image.map(rehearsal.interpolate(str(value), env))
            for key, value in compose["services"]["app"]["environment"].items()
        }
    )
    secret = next(
        line
        for line in (root / ".env").read_text().splitlines()
        if line.startswith("SECURITY__SECRET_KEY=")
    )
    container_env["SECURITY__SECRET_KEY"] = secret.split("=", 1)[1]
    if answers["database"] == "postgresql":
        container_env["DATABASE__URL"] = env["DATABASE__URL"]
    # The broker host exists only in compose too: this machine's broker stands in for it.
    for name in ("BROKER__URL", "BROKER__PREFIX"):
        if name in env:
            container_env[name] = env[name]
    assert not (image.workdir / ".env").exists()

    # compose.yaml's one-off migrate service: the entry point with its command.
    migrate = rehearsal.resolve(image, image.entrypoint + compose["services"]["migrate"]["command"])
    run(migrate, cwd=image.workdir, env=container_env)
    # The server as the image starts it, on a free loopback port instead of 0.0.0.0:8000.
    port = str(free_port())
    assert image.exposed == ["8000"] and image.cmd[-4:] == ["--host", "0.0.0.0", "--port", "8000"]
    argv = rehearsal.resolve(
        image, image.entrypoint + [*image.cmd[:-4], "--host", "127.0.0.1", "--port", port]
    )
    server = subprocess.Popen(
        argv,
        cwd=image.workdir,
        env=container_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert wait_ready(f"http://127.0.0.1:{port}/health/ready", server) == 200
        probe = [part.replace("127.0.0.1:8000", f"127.0.0.1:{port}") for part in image.healthcheck]
        run(rehearsal.resolve(image, probe), cwd=image.workdir, env=container_env)
    finally:
        server.terminate()
        server.wait(timeout=15)
    # And the HEALTHCHECK fails once nothing answers (it must not report a dead server healthy).
    failed = subprocess.run(
        rehearsal.resolve(image, probe),
        cwd=image.workdir,
        env=container_env,
        capture_output=True,
        check=False,
    )
    assert failed.returncode != 0


@pytest.mark.slow
def test_git_hooks_pass_on_a_new_project_and_refuse_update_leftovers(
    copier: CopierFixture, tmp_path: Path
) -> None:
    """`.pre-commit-config.yaml` really runs: clean on a fresh render; conflict markers and
    the `.rej`/`.orig` files of a `copier update` that could not merge are refused."""
    uv = require_command("uv")
    git = require_command("git")
    root = copier.copy(tmp_path / "project", project_name="Hooks Service").path
    env = project_env(
        PRE_COMMIT_HOME=str(tmp_path / "pre-commit-cache"),
        GIT_AUTHOR_NAME="t",
        GIT_AUTHOR_EMAIL="t@example.com",
        GIT_COMMITTER_NAME="t",
        GIT_COMMITTER_EMAIL="t@example.com",
    )
    run([git, "init", "--quiet"], cwd=root, env=env)
    run([uv, "sync"], cwd=root, env=env)
    run([git, "add", "--all"], cwd=root, env=env)
    run([uv, "run", "pre-commit", "run", "--all-files"], cwd=root, env=env)

    (root / "pyproject.toml.rej").write_text("@@ -1 +1 @@\n-old\n+new\n")
    readme = root / "README.md"
    readme.write_text(
        readme.read_text() + "<<<<<<< before updating\nold\n=======\nnew\n>>>>>>> after updating\n"
    )
    run([git, "add", "--all"], cwd=root, env=env)
    refused = subprocess.run(
        [uv, "run", "pre-commit", "run", "--all-files"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert refused.returncode == 1, refused.stdout + refused.stderr
    report = refused.stdout
    assert re.search(r"no merge conflict markers\.+Failed", report), report
    assert re.search(r"no \.rej or \.orig files.*\.+Failed", report), report
    assert "pyproject.toml.rej" in report and "README.md" in report
