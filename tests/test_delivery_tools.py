"""The readers and validators the delivery checks rely on reject what they should: a check
that cannot fail proves nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests import delivery, rehearsal
from tests.validate import docker_compose, run_tool, tool


def test_dockerignore_follows_dockers_rules() -> None:
    rules = delivery.dockerignore_rules("*\n!src\n!pyproject.toml\n**/__pycache__\n**/*.py[co]\n")
    assert not delivery.is_ignored("src/pkg/main.py", rules)
    assert not delivery.is_ignored("pyproject.toml", rules)
    assert delivery.is_ignored(".env", rules)
    assert delivery.is_ignored("tests/test_x.py", rules)
    assert delivery.is_ignored("src/pkg/__pycache__/main.cpython-312.pyc", rules)
    assert delivery.is_ignored("src/pkg/main.pyc", rules)


def test_compose_interpolation_gives_what_compose_would() -> None:
    env = {"SET": "value", "EMPTY": ""}
    assert rehearsal.interpolate("${MISSING:-}", env) == ""
    assert rehearsal.interpolate("${EMPTY:-fallback}", env) == "fallback"
    assert rehearsal.interpolate("${EMPTY-fallback}", env) == ""
    assert rehearsal.interpolate("${MISSING-fallback}", env) == "fallback"
    assert rehearsal.interpolate("a ${SET} $SET $${SET}", env) == "a value value ${SET}"


def test_dockerfile_reader_joins_continuations_and_keeps_flags() -> None:
    args, stages = delivery.parse_dockerfile(
        "# syntax=docker/dockerfile:1\nARG V=3.12\nFROM python:${V}-slim AS build\n"
        "RUN --mount=type=cache,target=/c \\\n    # a comment inside\n    uv sync \\\n    --locked\n"
        'FROM python:${V}-slim\nCMD ["serve", "--port", "8000"]\n'
    )
    assert args == {"V": "3.12"}
    assert [(stage.name, stage.base) for stage in stages] == [
        ("build", "python:3.12-slim"),
        ("1", "python:3.12-slim"),
    ]
    run_line = stages[0].instructions[0]
    assert (run_line.flags, run_line.value) == (
        {"mount": "type=cache,target=/c"},
        "uv sync  --locked",
    )
    assert stages[1].instructions[0].exec_form() == ["serve", "--port", "8000"]


def test_shell_reader_finds_uv_run_commands() -> None:
    script = "uv sync --locked\nuv run ruff check --output-format=github . && uv run mypy\nfor x in a; do\n  uv run pytest --cov-report=xml  # comment\ndone\n"
    assert delivery.uv_run_commands([script]) == [["ruff", "check", "."], ["mypy"], ["pytest"]]


@pytest.mark.parametrize(
    ("name", "content", "command"),
    [
        (
            "compose.yaml",
            "services:\n  app:\n    image: x\n    depends_on:\n      db:\n        condition: healthy\n",
            "compose",
        ),
        (
            "compose.yaml",
            "services:\n  app:\n    image: x\n    portz: ['80:80']\n",
            "compose-schema",
        ),
        ("Dockerfile", "FROM python:3.12-slim\nUSER root\nCMD python app.py\n", "hadolint"),
        (".gitlab-ci.yml", "image:\n  script: [echo]\n", "gitlab-schema"),
        ("ci.yml", "on: push\njobs:\n  a:\n    steps: []\n", "github-schema"),
    ],
)
def test_validators_reject_broken_files(
    tmp_path: Path, name: str, content: str, command: str
) -> None:
    path = tmp_path / name
    path.write_text(content)
    commands = {
        "compose": [docker_compose(), "config", "--quiet"],
        "compose-schema": [
            tool("check-jsonschema"),
            "--builtin-schema",
            "vendor.compose-spec",
            str(path),
        ],
        "hadolint": [tool("hadolint"), "--no-color", str(path)],
        "gitlab-schema": [
            tool("check-jsonschema"),
            "--builtin-schema",
            "vendor.gitlab-ci",
            str(path),
        ],
        "github-schema": [
            tool("check-jsonschema"),
            "--builtin-schema",
            "vendor.github-workflows",
            str(path),
        ],
    }
    with pytest.raises(AssertionError):
        run_tool(commands[command], cwd=tmp_path, content=content)
